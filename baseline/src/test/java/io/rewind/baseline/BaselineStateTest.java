package io.rewind.baseline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.rewind.archive.ArchiveLayout;
import io.rewind.archive.storage.local.LocalStorage;
import io.rewind.opentsdb.hbase.KeyRange;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A baseline's state remembers what it was asked to read, and a rerun that asks for something else is refused. */
class BaselineStateTest {
    private static final long JAN_1 = 1_767_225_600_000L; // 2026-01-01T00:00:00Z

    @TempDir
    Path dir;

    private static BaselineRequest asked(String cluster, String from, long fromMs, String... metrics) {
        return new BaselineRequest(cluster, "tsdb", from, fromMs, null, Long.MAX_VALUE, List.of(metrics));
    }

    @Test
    void aStateReadBackHoldsTheRangeTheMetricsTheClusterAndTheKeysItWasAskedFor() throws Exception {
        try (LocalStorage storage = new LocalStorage(dir)) {
            BaselineState state = BaselineState.fresh("points", "tsdb", 1, 4);
            BaselineRequest request = new BaselineRequest("c0ffee", "tsdb", "-30d", JAN_1, "2026-02-01T00:00Z", JAN_1 + 31 * 86_400_000L,
                    List.of("sys.mem", "sys.cpu", "sys.cpu"));
            state.bind(request);
            state.wanted = List.of(KeyRange.of("01", "02"), KeyRange.of("05", ""));
            state.done.add(KeyRange.of("01", "0180"));
            state.save(storage);

            BaselineState read = BaselineState.load(storage, "points", "tsdb", 1, 4).orElseThrow();
            assertThat(read.request).isEqualTo(request);
            assertThat(read.request.metrics()).containsExactly("sys.cpu", "sys.mem");
            assertThat(read.wanted).containsExactly(KeyRange.of("01", "02"), KeyRange.of("05", ""));
            assertThat(read.done).containsExactly(KeyRange.of("01", "0180"));
        }
    }

    @Test
    void aRerunAskingAnotherRangeOtherMetricsOrAnotherClusterIsRefusedNamingWhatDiffers() throws Exception {
        try (LocalStorage storage = new LocalStorage(dir)) {
            BaselineState first = BaselineState.fresh("points", "tsdb", 0, 1);
            first.bind(asked("cluster-a", "2026-01-01T00:00Z", JAN_1, "sys.cpu"));
            first.completedMs = JAN_1;
            first.save(storage);

            BaselineState earlierFrom = BaselineState.load(storage, "points", "tsdb", 0, 1).orElseThrow();
            assertThatThrownBy(() -> earlierFrom.bind(asked("cluster-a", "2025-01-01T00:00Z", JAN_1 - 365 * 86_400_000L, "sys.cpu")))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--from 2026-01-01T00:00:00")
                    .hasMessageContaining("this run: 2025-01-01T00:00:00").hasMessageContaining("--name");
            BaselineState otherCluster = BaselineState.load(storage, "points", "tsdb", 0, 1).orElseThrow();
            assertThatThrownBy(() -> otherCluster.bind(asked("cluster-b", "2026-01-01T00:00Z", JAN_1, "sys.mem")))
                    .hasMessageContaining("cluster-a").hasMessageContaining("cluster-b").hasMessageContaining("--metric sys.cpu")
                    .hasMessageNotContaining("--from");
        }
    }

    @Test
    void aRerunWithTheSameArgumentsContinuesWithTheRangeAsTheFirstRunResolvedIt() throws Exception {
        try (LocalStorage storage = new LocalStorage(dir)) {
            BaselineState first = BaselineState.fresh("points", "tsdb", 0, 1);
            first.bind(asked("cluster-a", "-30d", JAN_1, "sys.cpu"));
            first.save(storage);
            BaselineState rerun = BaselineState.load(storage, "points", "tsdb", 0, 1).orElseThrow();
            BaselineRequest bound = rerun.bind(asked("cluster-a", "-30d", JAN_1 + 86_400_000L, "sys.cpu"));
            assertThat(bound.fromMs()).as("-30d as the first run resolved it").isEqualTo(JAN_1);
            assertThat(rerun.bind(asked("cluster-a", "1767225600", JAN_1, "sys.cpu")).fromMs()).isEqualTo(JAN_1);
        }
    }

    @Test
    void aStateWrittenBeforeRequestsWereRecordedLoadsAndIsRefusedAsUnknown() throws Exception {
        try (LocalStorage storage = new LocalStorage(dir)) {
            storage.put(ArchiveLayout.baselineState("points", "tsdb", 0, 1), """
                    {"name":"tsdb","shard":0,"shards":1,"cluster":"zk/hbase","table":"tsdb","snapshot":null,"startedMs":5,
                     "completedMs":9,"done":[["",""]],"underway":{},"counts":{"points":42}}""".getBytes(StandardCharsets.UTF_8));
            BaselineState old = BaselineState.load(storage, "points", "tsdb", 0, 1).orElseThrow();
            assertThat(old.request).isNull();
            assertThat(old.wanted).isNull();
            assertThat(old.points).isEqualTo(42);
            assertThatThrownBy(() -> old.bind(asked("cluster-a", "0", 0)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("does not record")
                    .hasMessageContaining("--name");
        }
    }
}
