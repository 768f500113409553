package io.rewind.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A wrong command line is exit code 2 with one clear line, before anything is read or written. */
class BaselineCommandTest {
    @TempDir
    Path dir;

    private CliRun baseline(String... args) {
        return CliRun.of(java.util.stream.Stream.concat(java.util.stream.Stream.of("baseline"), java.util.Arrays.stream(args))
                .toArray(String[]::new));
    }

    @Test
    void anUnreadableConfigurationIsNamed() {
        CliRun run = baseline("--storage-config", dir.resolve("missing.conf").toString(), "--archive", dir.toString());
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).contains("cannot read the OpenTSDB configuration " + dir.resolve("missing.conf"));
    }

    @Test
    void aConfigurationWithImpossibleWidthsIsRefusedNamingTheSetting() throws Exception {
        Path conf = Files.writeString(dir.resolve("opentsdb.conf"), "tsd.storage.uid.width.metric = 9\ntsd.storage.salt.width = 1\n"
                + "tsd.storage.salt.buckets = 300\n");
        CliRun run = baseline("--storage-config", conf.toString(), "--archive", dir.toString());
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).contains("tsd.storage.uid.width.metric = 9").contains("tsd.storage.salt.buckets = 300");
    }

    @Test
    void aBadShardNameOrTimeRangeIsRefusedBeforeHBaseIsAsked() throws Exception {
        Path conf = Files.writeString(dir.resolve("opentsdb.conf"), "tsd.storage.hbase.zk_quorum = 127.0.0.1:1\n");
        CliRun shard = baseline("--storage-config", conf.toString(), "--archive", dir.toString(), "--shard", "2/2");
        assertThat(shard.exitCode()).isEqualTo(2);
        assertThat(shard.err()).contains("--shard 2/2");
        CliRun name = baseline("--storage-config", conf.toString(), "--archive", dir.toString(), "--name", "a/b");
        assertThat(name.exitCode()).isEqualTo(2);
        assertThat(name.err()).contains("--name 'a/b'");
        CliRun range = baseline("--storage-config", conf.toString(), "--archive", dir.toString(), "--from", "2026-01-02T00:00Z",
                "--to", "2026-01-01T00:00Z");
        assertThat(range.exitCode()).isEqualTo(2);
        assertThat(range.err()).contains("the time range is empty");
    }
}
