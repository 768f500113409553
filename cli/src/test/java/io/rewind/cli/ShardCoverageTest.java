package io.rewind.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.rewind.baseline.ShardStates;
import io.rewind.opentsdb.StorageLayout;
import io.rewind.opentsdb.hbase.KeyRange;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code baseline --status}: whether the shards' states in the archive together cover what was asked, without HBase. */
class ShardCoverageTest {
    @TempDir
    Path dir;
    private Path conf;
    private static final StorageLayout LAYOUT = new StorageLayout("zk", "/hbase", "tsdb", "tsdb", 0, 20, 3, 3, 3);

    @BeforeEach
    void configuration() throws Exception {
        conf = Files.writeString(dir.resolve("opentsdb.conf"), "tsd.storage.hbase.zk_quorum = 127.0.0.1:1\n");
    }

    private CliRun status(String... more) {
        List<String> args = new java.util.ArrayList<>(List.of("baseline", "--storage-config", conf.toString(), "--archive", dir.resolve("archive").toString(),
                "--status"));
        args.addAll(List.of(more));
        return CliRun.of(args.toArray(String[]::new));
    }

    private void shard(int shard, List<KeyRange> done, String cluster) throws Exception {
        ShardStates.complete(dir.resolve("archive"), shard, 2, done, cluster);
    }

    private static List<KeyRange> ranges(int shard) {
        return ShardStates.ranges(LAYOUT, 2, shard);
    }

    @Test
    void shardsThatTogetherReadEveryWantedKeyAreReportedCovered() throws Exception {
        shard(0, ranges(0), "c1");
        shard(1, ranges(1), "c1");
        CliRun run = status();
        assertThat(run.exitCode()).as(run.out() + run.err()).isZero();
        assertThat(run.out()).contains("shard 0 of 2: complete").contains("shard 1 of 2: complete").contains("cover");
    }

    @Test
    void aKeyRangeNoShardReadIsNamedAndTheExitCodeSaysSo() throws Exception {
        List<KeyRange> mine = ranges(1);
        shard(0, ranges(0), "c1");
        shard(1, mine.subList(1, mine.size()), "c1");
        CliRun run = status();
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.out()).contains("read by no shard").contains(mine.get(0).toString());
    }

    @Test
    void aMissingShardShardsOfAnotherClusterOrAnotherTimeRangeAreNotCoverage() throws Exception {
        shard(0, ranges(0), "c1");
        CliRun missing = status();
        assertThat(missing.exitCode()).isEqualTo(1);
        assertThat(missing.out()).contains("shard 1 of 2: no state");

        shard(1, ranges(1), "c2");
        CliRun clusters = status();
        assertThat(clusters.exitCode()).isEqualTo(1);
        assertThat(clusters.out()).contains("c1").contains("c2");

        shard(1, ranges(1), "c1");
        CliRun otherRange = status("--from", "2026-01-01T00:00Z");
        assertThat(otherRange.exitCode()).isEqualTo(1);
        assertThat(otherRange.out()).contains("--from");
    }
}
