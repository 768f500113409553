package io.rewind.tap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.rewind.devstack.Certificates;
import io.rewind.devstack.DevStack;
import io.rewind.devstack.Tsd;
import io.rewind.devstack.TsdClient;
import io.rewind.devstack.junit.DevStackExtension;
import io.rewind.devstack.process.Await;
import io.rewind.tap.config.TapConfig;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS on the tap's port against the real TSD and broker: telnet and HTTP puts over TLS, with a client certificate
 * (mutual TLS, which takes TLS only), reach the TSD and Kafka as in plaintext; a client without a certificate and a plaintext
 * client are refused; required client certificates with optional TLS are refused at start; plaintext shares the port when TLS
 * is optional; a renewed certificate is served without a restart.
 */
@ExtendWith(DevStackExtension.class)
class TapTlsIT {
    private static final long T0 = 1_763_726_400L;

    @TempDir
    Path dir;

    private static String servedCertificate(SSLContext client, int port) throws IOException {
        try (SSLSocket socket = (SSLSocket) client.getSocketFactory().createSocket("127.0.0.1", port)) {
            socket.startHandshake();
            return ((X509Certificate) socket.getSession().getPeerCertificates()[0]).getSubjectX500Principal().getName();
        }
    }

    @Test
    void putsOverTlsWithClientCertificatesReachTheTsdAndKafkaAndOthersAreRefused(DevStack stack) throws Exception {
        Certificates certificates = new Certificates(dir.resolve("certs"));
        certificates.issue("tap");
        certificates.issue("collector");
        Path cert = dir.resolve("tap.pem");
        Path key = dir.resolve("tap.key");
        Files.copy(certificates.cert("tap"), cert);
        Files.copy(certificates.key("tap"), key);
        String topic = "tap-it-tls";
        stack.kafka().createTopic(topic, 2, Map.of());
        Tsd tsd = stack.tsd(DevStackExtension.PRODUCTION);
        Map<String, String> settings = TapConfig.localSettings(stack.kafka().bootstrapServers(), topic, dir.resolve("spool"),
                "127.0.0.1:" + tsd.port());
        settings.putAll(Map.of("tls.mode", "required", "tls.cert.file", cert.toString(), "tls.key.file", key.toString(),
                "tls.ca.file", certificates.ca().toString(), "tls.client.auth", "require", "tls.reload.interval.ms", "200ms"));
        settings.putAll(Map.of("admin.host", "127.0.0.1", "admin.tls.mode", "required", "admin.tls.cert.file", cert.toString(),
                "admin.tls.key.file", key.toString(), "admin.tls.ca.file", certificates.ca().toString(), "admin.tls.client.auth", "require"));
        SSLContext collector = certificates.client("collector");
        try (Tap tap = Tap.start(TapConfig.of(settings))) {
            // Telnet over TLS: the lines reach the TSD; a version command proves they were read.
            try (SSLSocket socket = (SSLSocket) collector.getSocketFactory().createSocket("127.0.0.1", tap.port())) {
                OutputStream out = socket.getOutputStream();
                StringBuilder lines = new StringBuilder();
                for (int i = 0; i < 20; i++) {
                    lines.append("put tapit.tls.telnet ").append(T0 + i).append(' ').append(i).append(" host=a\n");
                }
                out.write((lines + "version\n").getBytes(StandardCharsets.UTF_8));
                out.flush();
                assertThat(new String(socket.getInputStream().readNBytes(16), StandardCharsets.UTF_8)).contains("net.opentsdb");
                assertThat(((X509Certificate) socket.getSession().getPeerCertificates()[0]).getSubjectX500Principal().getName())
                        .isEqualTo("CN=tap");
            }
            // HTTP over TLS.
            HttpClient https = HttpClient.newBuilder().sslContext(collector).build();
            HttpResponse<String> put = https.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + tap.port() + "/api/put?details&sync"))
                    .POST(HttpRequest.BodyPublishers.ofString("[{\"metric\":\"tapit.tls.http\",\"timestamp\":" + T0
                            + ",\"value\":7,\"tags\":{\"host\":\"a\"}},{\"metric\":\"tapit.tls.http\",\"timestamp\":" + (T0 + 1)
                            + ",\"value\":8.5,\"tags\":{\"host\":\"a\"}}]")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
            assertThat(put.body()).contains("\"success\":2");
            // Mutual TLS is TLS only: plaintext, which shows no certificate, is refused.
            assertThatThrownBy(() -> HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + tap.port() + "/api/version")).build(), HttpResponse.BodyHandlers.ofString()))
                    .isInstanceOf(IOException.class);
            // Without a client certificate: refused.
            HttpClient anonymous = HttpClient.newBuilder().sslContext(certificates.client(null)).build();
            assertThatThrownBy(() -> anonymous.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + tap.port() + "/api/version"))
                    .build(), HttpResponse.BodyHandlers.ofString())).isInstanceOf(IOException.class);

            // The admin port: HTTPS only, to clients with a certificate.
            URI metrics = URI.create("https://127.0.0.1:" + tap.adminPort() + "/metrics");
            HttpResponse<String> scraped = https.send(HttpRequest.newBuilder(metrics).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(scraped.statusCode()).isEqualTo(200);
            assertThat(scraped.body()).contains("rewind_tap_");
            assertThatThrownBy(() -> anonymous.send(HttpRequest.newBuilder(metrics).build(), HttpResponse.BodyHandlers.ofString()))
                    .isInstanceOf(IOException.class);
            assertThatThrownBy(() -> HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + tap.adminPort()
                    + "/metrics")).build(), HttpResponse.BodyHandlers.ofString())).isInstanceOf(IOException.class);

            Await.until("the TSD to hold the points put over TLS", Duration.ofSeconds(30), () -> { },
                    () -> TsdClient.of(tsd).query("tapit.tls.telnet", T0 * 1000, (T0 + 100) * 1000).stream()
                            .mapToLong(s -> s.points().size()).sum() == 20);
            assertThat(TsdClient.of(tsd).query("tapit.tls.http", T0 * 1000, (T0 + 100) * 1000)).singleElement()
                    .satisfies(s -> assertThat(s.points()).hasSize(2));
            Set<String> inKafka = TopicPoints.read(stack.kafka().bootstrapServers(), topic, 22, Duration.ofSeconds(60)).stream()
                    .map(r -> r.point().getMetric() + "@" + r.point().getTimestampMs()).collect(Collectors.toCollection(TreeSet::new));
            assertThat(inKafka).hasSize(22).contains("tapit.tls.http@" + T0 * 1000, "tapit.tls.telnet@" + (T0 + 19) * 1000);

            // A renewed certificate: new connections get it, with no restart.
            certificates.issue("renewed");
            Files.copy(certificates.key("renewed"), key, StandardCopyOption.REPLACE_EXISTING);
            Files.copy(certificates.cert("renewed"), cert, StandardCopyOption.REPLACE_EXISTING);
            for (int port : List.of(tap.port(), tap.adminPort())) {
                Await.until("the tap to serve the renewed certificate on port " + port, Duration.ofSeconds(30), () -> { },
                        () -> servedCertificate(collector, port).equals("CN=renewed"));
            }

        }

        // Client certificates required on a port that also takes plaintext would let plaintext skip the check: refused at start.
        settings.putAll(Map.of("tls.mode", "optional", "tls.client.auth", "require"));
        assertThatThrownBy(() -> TapConfig.of(settings)).hasMessageContaining("The 'tls.client.auth' value 'require' is invalid");

        // TLS optional, no client certificates: plaintext and TLS without a certificate are both served on one port.
        settings.putAll(Map.of("tls.mode", "optional", "tls.client.auth", "none"));
        settings.remove("tls.ca.file");
        try (Tap tap = Tap.start(TapConfig.of(settings))) {
            HttpClient https = HttpClient.newBuilder().sslContext(certificates.client(null)).build();
            HttpResponse<String> version = https.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + tap.port() + "/api/version"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(version.statusCode()).isEqualTo(200);
            assertThat(version.body()).contains("version");
            TsdClient plain = new TsdClient("127.0.0.1", tap.port());
            assertThat(plain.post("/api/put?sync", "{\"metric\":\"tapit.tls.plain\",\"timestamp\":" + T0
                    + ",\"value\":1,\"tags\":{\"host\":\"a\"}}", false).status()).isIn(200, 204);
            assertThat(TopicPoints.read(stack.kafka().bootstrapServers(), topic, 23, Duration.ofSeconds(60)).stream()
                    .map(r -> r.point().getMetric() + "@" + r.point().getTimestampMs())).contains("tapit.tls.plain@" + T0 * 1000);
        }
    }
}
