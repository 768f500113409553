package io.rewind.devstack;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code rewind dev up} leaves a working stack running after it returns; {@code down} leaves nothing running. */
class DevStackControlIT {

    @Test
    void upStartsADetachedStackThatDownStopsCompletely(@TempDir Path dir) throws Exception {
        StringWriter text = new StringWriter();
        PrintWriter out = new PrintWriter(text, true);
        List<ProcessHandle> servers = List.of();
        try {
            String endpoints = DevStackControl.up(dir, List.of("solo"), "points", 3, out);
            Properties state = StackState.read(dir).orElseThrow();
            servers = StackState.running(state).stream().map(p -> ProcessHandle.of(p.pid()).orElseThrow()).toList();

            assertThat(endpoints).contains("Kafka bootstrap", "OpenTSDB solo");
            assertThat(servers).hasSize(3);
            assertThat(DevStackControl.status(dir, out)).isTrue();
            int port = Integer.parseInt(endpoints.replaceAll("(?s).*OpenTSDB solo +http://127.0.0.1:(\\d+).*", "$1"));
            assertThat(new TsdClient("127.0.0.1", port).get("/api/version").status()).isEqualTo(200);
            assertThat(endpoints).contains("points (3 partitions)");
            String bootstrap = endpoints.replaceAll("(?s).*Kafka bootstrap +(\\S+).*", "$1");
            try (org.apache.kafka.clients.admin.Admin admin = org.apache.kafka.clients.admin.Admin.create(
                    java.util.Map.<String, Object>of("bootstrap.servers", bootstrap))) {
                assertThat(admin.describeTopics(List.of("points")).allTopicNames().get().get("points").partitions()).hasSize(3);
            }
        } finally {
            DevStackControl.down(dir, out);
        }

        assertThat(servers).noneMatch(ProcessHandle::isAlive);
        assertThat(DevStackControl.status(dir, out)).isFalse();
        assertThat(text.toString()).contains("Stopped [tsd-solo", "No dev stack in " + dir);
    }
}
