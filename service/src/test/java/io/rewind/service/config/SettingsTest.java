package io.rewind.service.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SettingsTest {
    static final Setting<Long> COMMIT = new Setting<>("commit.interval.ms", "30s", "how often parts are written",
            Parsers.millis(Duration.ofSeconds(1), Duration.ofHours(1)));
    static final Setting<Long> BUFFER = new Setting<>("buffer.max.bytes", "256MiB", "buffer limit", Parsers.bytes(1 << 20, 1L << 40));
    static final Setting<String> SERVERS = new Setting<>("bootstrap.servers", null, "the Kafka cluster", Parsers.text());

    @TempDir
    Path dir;

    @Test
    void flagsOverrideTheEnvironmentWhichOverridesTheFile() throws Exception {
        Path file = dir.resolve("archiver.properties");
        Files.writeString(file, "commit.interval.ms=10s\nbuffer.max.bytes=64MiB\nbootstrap.servers=file:9092\n");
        Settings settings = Settings.load("archiver", "REWIND_ARCHIVER_", Map.of("REWIND_ARCHIVER_BUFFER_MAX_BYTES", "128m",
                "REWIND_ARCHIVER_KAFKA_SASL_JAAS_CONFIG", "secret stuff", "OTHER", "x"),
                List.of("--config", file.toString(), "--commit.interval.ms=5000", "--kafka.acks", "all"));

        assertThat(settings.get(COMMIT)).isEqualTo(5_000L);
        assertThat(settings.get(BUFFER)).isEqualTo(128L << 20);
        assertThat(settings.get(SERVERS)).isEqualTo("file:9092");
        assertThat(settings.withPrefix("kafka.")).containsEntry("acks", "all").containsEntry("sasl.jaas.config", "secret stuff");
        assertThat(settings.describe()).containsEntry("kafka.sasl.jaas.config", "[hidden]");
        settings.check();
    }

    @Test
    void everyProblemIsReportedAtOnce() {
        Settings settings = Settings.load("archiver", "REWIND_ARCHIVER_", Map.of(),
                List.of("--commit.interval.ms=500", "--buffer.max.bytes=lots", "--comit.interval.ms=1s"));
        settings.get(COMMIT);
        settings.get(BUFFER);
        settings.get(SERVERS);

        assertThatThrownBy(settings::check).isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems()).containsExactly(
                "The 'commit.interval.ms' value '500' (from flag --commit.interval.ms) is invalid: must be >= 1s",
                "The 'buffer.max.bytes' value 'lots' (from flag --buffer.max.bytes) is invalid: must be a size: bytes, or a number with KiB, MiB or GiB",
                "The 'bootstrap.servers' setting is required: the Kafka cluster",
                "Unknown setting 'comit.interval.ms' (from flag --comit.interval.ms): the archiver has no such setting; see its README for the list"));
    }
}
