package io.rewind.baseline;

import static org.assertj.core.api.Assertions.assertThat;

import io.rewind.archive.storage.local.LocalStorage;
import io.rewind.opentsdb.StorageLayout;
import io.rewind.opentsdb.hbase.KeyRange;
import io.rewind.service.TimeArgs;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code baseline --status}: whether the shards' states in the archive together cover what was asked, without HBase. */
class ShardCoverageTest {
    @TempDir
    Path dir;
    private final ShardKeySpace space = new ShardKeySpace(new StorageLayout("zk", "/hbase", "tsdb", "tsdb", 0, 20, 3, 3, 3), 2);

    /** What {@code baseline --status} prints, and its exit code (0 covered, 1 not). */
    private record Status(int exitCode, String out, String err) {
    }

    private Status status(String... more) throws Exception {
        String from = more.length == 2 && more[0].equals("--from") ? more[1] : "0";
        BaselineRequest asked = new BaselineRequest(null, "tsdb", from, TimeArgs.parseTime(from, System.currentTimeMillis()), null,
                Long.MAX_VALUE, List.of());
        StringWriter out = new StringWriter();
        try (LocalStorage storage = new LocalStorage(dir.resolve("archive"))) {
            boolean covered = ShardCoverage.report(storage, "points", "tsdb", asked, new PrintWriter(out, true));
            return new Status(covered ? 0 : 1, out.toString(), "");
        }
    }

    private void shard(int shard, List<KeyRange> done, String cluster) throws Exception {
        try (LocalStorage storage = new LocalStorage(dir.resolve("archive"))) {
            BaselineState state = BaselineState.fresh("points", "tsdb", shard, 2);
            state.bind(new BaselineRequest(cluster, "tsdb", "0", 0, null, Long.MAX_VALUE, List.of()));
            state.wanted = List.of(KeyRange.ALL);
            state.done.addAll(done);
            state.completedMs = 1;
            state.save(storage);
        }
    }

    @Test
    void shardsThatTogetherReadEveryWantedKeyAreReportedCovered() throws Exception {
        shard(0, space.ranges(0), "c1");
        shard(1, space.ranges(1), "c1");
        Status run = status();
        assertThat(run.exitCode()).as(run.out() + run.err()).isZero();
        assertThat(run.out()).contains("shard 0 of 2: complete").contains("shard 1 of 2: complete").contains("cover");
    }

    @Test
    void aKeyRangeNoShardReadIsNamedAndTheExitCodeSaysSo() throws Exception {
        List<KeyRange> mine = space.ranges(1);
        shard(0, space.ranges(0), "c1");
        shard(1, mine.subList(1, mine.size()), "c1");
        Status run = status();
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.out()).contains("read by no shard").contains(mine.get(0).toString());
    }

    @Test
    void aMissingShardShardsOfAnotherClusterOrAnotherTimeRangeAreNotCoverage() throws Exception {
        shard(0, space.ranges(0), "c1");
        Status missing = status();
        assertThat(missing.exitCode()).isEqualTo(1);
        assertThat(missing.out()).contains("shard 1 of 2: no state");

        shard(1, space.ranges(1), "c2");
        Status clusters = status();
        assertThat(clusters.exitCode()).isEqualTo(1);
        assertThat(clusters.out()).contains("c1").contains("c2");

        shard(1, space.ranges(1), "c1");
        Status otherRange = status("--from", "2026-01-01T00:00Z");
        assertThat(otherRange.exitCode()).isEqualTo(1);
        assertThat(otherRange.out()).contains("--from");
    }
}
