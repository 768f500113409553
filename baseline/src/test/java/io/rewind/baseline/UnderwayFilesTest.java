package io.rewind.baseline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.rewind.archive.segment.SeriesId;
import io.rewind.archive.storage.ForwardingStorage;
import io.rewind.archive.storage.Storage;
import io.rewind.archive.storage.local.LocalStorage;
import io.rewind.opentsdb.hbase.KeyRange;
import io.rewind.schema.SeriesKey;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every baseline file in storage is one its shard's state records, so that a rerun can delete it before it reads its range again. */
class UnderwayFilesTest {
    private static final long HOUR = 3_600_000L;
    private static final long JAN_1 = 1_767_225_600_000L;

    @TempDir
    Path dir;

    /** Refuses the data file of the n-th flush window, after the ones before it were stored. */
    private static Storage failingAt(Storage storage, int n) {
        AtomicInteger files = new AtomicInteger();
        return new ForwardingStorage(storage) {
            @Override
            public void put(String key, Path file) throws IOException {
                if (key.endsWith(".avro") && files.incrementAndGet() == n) {
                    throw new IOException("storage refused " + key);
                }
                super.put(key, file);
            }
        };
    }

    private static List<String> dataFiles(Storage storage) throws IOException {
        try (Stream<Storage.ObjectInfo> listed = storage.list("v1/")) {
            return listed.map(Storage.ObjectInfo::key).filter(k -> k.endsWith(".avro")).toList();
        }
    }

    private static WindowBuffers threeHours() {
        WindowBuffers buffers = new WindowBuffers();
        SeriesId series = SeriesId.of(SeriesKey.of("sys.cpu", Map.of("host", "a")));
        for (int hour = 0; hour < 3; hour++) {
            buffers.add(series, JAN_1 + hour * HOUR, false, false, hour, JAN_1 + 4 * HOUR);
        }
        return buffers;
    }

    @Test
    void aFlushThatFailsMidwayLeavesOnlyFilesTheStateRecordsAndARerunDeletesThem() throws Exception {
        try (LocalStorage local = new LocalStorage(dir.resolve("archive"))) {
            Storage storage = failingAt(local, 3);
            BaselineState state = BaselineState.fresh("points", "tsdb", 0, 1);
            Path scratch = Files.createDirectories(dir.resolve("scratch"));
            assertThatThrownBy(() -> threeHours().flush(storage, scratch, state, "0123456789abcdef", 0, Map.of()))
                    .hasMessageContaining("storage refused");
            assertThat(dataFiles(local)).hasSize(2);

            BaselineState rerun = BaselineState.load(local, "points", "tsdb", 0, 1).orElseThrow();
            assertThat(rerun.underway.get("0123456789abcdef")).containsAll(dataFiles(local));
            rerun.abandonUnderway(local);
            assertThat(dataFiles(local)).isEmpty();
            assertThat(BaselineState.load(local, "points", "tsdb", 0, 1).orElseThrow().underway).isEmpty();
        }
    }

    @Test
    void filesOfARangeUnderWayWhoseRegionsChangedAreDeletedBeforeTheRunReadsItsNewRanges() throws Exception {
        try (LocalStorage storage = new LocalStorage(dir.resolve("archive"))) {
            BaselineState state = BaselineState.fresh("points", "tsdb", 0, 1);
            Path scratch = Files.createDirectories(dir.resolve("scratch"));
            threeHours().flush(storage, scratch, state, new KeyRange(new byte[] {1}, new byte[] {3}).id(), 0, Map.of());
            assertThat(dataFiles(storage)).hasSize(3);
            // the region [01, 03) split into [01, 02) and [02, 03): no range of the new plan has the old one's id
            BaselineState rerun = BaselineState.load(storage, "points", "tsdb", 0, 1).orElseThrow();
            rerun.abandonUnderway(storage);
            assertThat(dataFiles(storage)).isEmpty();
        }
    }
}
