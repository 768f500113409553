package io.rewind.tap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.rewind.devstack.Certificates;
import io.rewind.tap.config.TapConfig;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A tap starts whole or not at all: whatever stops its start (the admin port taken, a Kafka setting the producer
 * refuses, a Schema Registry it cannot register with) leaves no client port open, no producer, no spool thread,
 * and says why. Kafka itself need not be reachable for a tap to start, so none runs here.
 */
@Timeout(60)
class TapStartTest {
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    @TempDir
    Path dir;

    @Test
    void anAdminPortInUseStopsTheStartAndLeavesNothingRunning() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 50, LOOPBACK)) {
            int clientPort = freePort();
            Map<String, String> settings = settings(clientPort);
            settings.put("admin.host", LOOPBACK.getHostAddress());
            settings.put("admin.port", Integer.toString(taken.getLocalPort()));
            assertStartFailsCleanly(settings, clientPort, "Address already in use");
        }
    }

    @Test
    void aKafkaSettingTheProducerRefusesStopsTheStartAndLeavesNothingRunning() throws Exception {
        assertStartWithFailsCleanly("kafka.compression.type", "zip", "compression.type");
    }

    @Test
    void aSchemaRegistryThatCannotBeReachedStopsTheStartWithAClearMessage() throws Exception {
        assertStartWithFailsCleanly("schema.registry.url", "http://127.0.0.1:1", "Schema Registry at http://127.0.0.1:1/ cannot be reached");
    }

    @Test
    void aCertificateThatIsNotTheOneOfItsKeyStopsTheStart() throws Exception {
        Certificates certificates = new Certificates(dir.resolve("certs"));
        certificates.issue("tap");
        certificates.issue("other");
        int clientPort = freePort();
        Map<String, String> settings = settings(clientPort);
        settings.putAll(Map.of("admin.tls.mode", "required", "admin.tls.cert.file", certificates.cert("tap").toString(),
                "admin.tls.key.file", certificates.key("other").toString()));
        assertStartFailsCleanly(settings, clientPort, "the certificate " + certificates.cert("tap") + " is not the one of the key "
                + certificates.key("other"));
    }

    @Test
    void theAdminPortTakesTlsOrPlaintextNotBoth() {
        Map<String, String> settings = settings(1);
        settings.putAll(Map.of("admin.tls.mode", "optional", "tls.mode", "required"));
        assertThatThrownBy(() -> TapConfig.of(settings)).hasMessageContaining(
                "The 'admin.tls.mode' value 'optional' is invalid: the admin port takes TLS or plaintext, not both: off or required")
                .hasMessageContaining("tls.mode=required needs tls.cert.file and tls.key.file (PEM)");
    }

    private void assertStartWithFailsCleanly(String key, String value, String why) throws Exception {
        int clientPort = freePort();
        Map<String, String> settings = settings(clientPort);
        settings.put(key, value);
        assertStartFailsCleanly(settings, clientPort, why);
    }

    private void assertStartFailsCleanly(Map<String, String> settings, int clientPort, String why) throws Exception {
        Set<Thread> before = new HashSet<>(Thread.getAllStackTraces().keySet());
        TapConfig config = TapConfig.of(settings);
        assertThatThrownBy(() -> Tap.start(config).close()).hasStackTraceContaining(why);
        try (ServerSocket again = new ServerSocket(clientPort, 50, LOOPBACK)) {
            assertThat(again.getLocalPort()).as("the client port is free again").isEqualTo(clientPort);
        }
        for (Thread thread : Thread.getAllStackTraces().keySet()) {
            if (!before.contains(thread) && (thread.getName().startsWith("rewind-") || thread.getName().startsWith("kafka-producer"))) {
                thread.join(10_000);
                assertThat(thread.isAlive()).as("thread " + thread.getName() + " still runs").isFalse();
            }
        }
    }

    private Map<String, String> settings(int clientPort) {
        Map<String, String> settings = TapConfig.localSettings("127.0.0.1:1", "points", dir.resolve("spool"), "");
        settings.put("listen.port", Integer.toString(clientPort));
        settings.put("kafka.max.block.ms", "200");
        return settings;
    }

    private static int freePort() throws Exception {
        try (ServerSocket socket = new ServerSocket(0, 50, LOOPBACK)) {
            return socket.getLocalPort();
        }
    }
}
