package io.rewind.restore.source;

import static org.assertj.core.api.Assertions.assertThat;

import io.rewind.archive.storage.Storage;
import io.rewind.archive.storage.local.LocalStorage;
import io.rewind.restore.TestArchive;
import io.rewind.schema.TimestampPrecision;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A range listed hour by hour and one listed day by day find the same files: every file whose window the range overlaps. */
class ArchiveIndexRangeTest {
    private static final long DAY = 24 * TestArchive.HOUR;
    private static final long D0 = 1_764_000_000_000L / DAY * DAY;

    @Test
    void shortAndLongRangesFindEveryFileTheyOverlapAndNoOther(@TempDir Path dir) throws Exception {
        try (Storage storage = new LocalStorage(dir)) {
            TestArchive archive = new TestArchive(storage, 2);
            List<TestArchive.Ingested> points = new ArrayList<>();
            for (long t = D0; t < D0 + 6 * DAY; t += 5 * TestArchive.HOUR + 17 * 60_000) {
                points.add(new TestArchive.Ingested(TestArchive.point("m", t, TimestampPrecision.SECONDS, 1L, Map.of("h", "a" + t % 3)), t + 1));
            }
            archive.commit(points);
            List<ArchiveIndex.Unit> everything = ArchiveIndex.scanAll(storage, Optional.of(TestArchive.TOPIC), new ArrayList<>()).units();
            for (long[] range : new long[][] {{D0 + 3 * TestArchive.HOUR, D0 + 20 * TestArchive.HOUR}, {D0 + DAY + 7 * TestArchive.HOUR, D0 + 5 * DAY + 2 * TestArchive.HOUR},
                    {D0 + 2 * DAY, D0 + 6 * DAY}, {D0 - 3 * DAY, D0 + 8 * DAY}}) {
                List<String> expected = everything.stream().filter(u -> u.windowStartMs() < range[1] && u.windowEndMs() > range[0])
                        .flatMap(u -> u.files().stream()).map(ArchiveIndex.StoredFile::key).sorted().toList();
                List<String> found = ArchiveIndex.scanRange(storage, TestArchive.TOPIC, range[0], range[1], new ArrayList<>()).units().stream()
                        .flatMap(u -> u.files().stream()).map(ArchiveIndex.StoredFile::key).sorted().toList();
                assertThat(found).as("range %d..%d", range[0], range[1]).isEqualTo(expected).isNotEmpty();
            }
        }
    }
}
