package io.rewind.archiver;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.rewind.archive.ArchiveLayout;
import io.rewind.archive.gaps.GapLedger;
import io.rewind.archive.storage.local.LocalStorage;
import io.rewind.archiver.metrics.ArchiverMetrics;
import io.rewind.schema.Gap;
import io.rewind.schema.PointKind;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The archive's open gaps on the archiver's /metrics, until a heal closes them. */
class GapWatchTest {
    private static final long H = Instant.parse("2026-12-05T03:00:00Z").toEpochMilli();

    @TempDir
    Path dir;

    @Test
    void theOpenGapsOfTheArchiveAreExportedUntilHealed() throws Exception {
        ArchiverMetrics metrics = new ArchiverMetrics(new SimpleMeterRegistry());
        try (LocalStorage storage = new LocalStorage(dir); GapWatch watch = GapWatch.start(storage, "points", metrics)) {
            Gap gap = new Gap("tap-a", "0123abcd", 1, H, false, List.of("sys.cpu"), 42, H + 1, H + 2, Map.of("spool-full", 42L),
                    List.of(PointKind.PUT));
            storage.put(ArchiveLayout.gap("points", H, gap.id()), gap.toJson());
            watch.read();
            assertThat(gauge(metrics, "rewind.archiver.gaps.open.hours")).isEqualTo(1);
            assertThat(gauge(metrics, "rewind.archiver.gaps.open.points")).isEqualTo(42);
            GapLedger.markHealed(storage, "points", GapLedger.read(storage, "points").open().get(0), "heal-2026120503-abc", H + 5);
            watch.read();
            assertThat(gauge(metrics, "rewind.archiver.gaps.open.hours")).isZero();
            assertThat(gauge(metrics, "rewind.archiver.gaps.open.points")).isZero();
        }
    }

    private static double gauge(ArchiverMetrics metrics, String name) {
        return metrics.registry().get(name).tag("topic", "points").gauge().value();
    }
}
