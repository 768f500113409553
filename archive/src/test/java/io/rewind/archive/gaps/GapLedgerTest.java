package io.rewind.archive.gaps;

import static org.assertj.core.api.Assertions.assertThat;

import io.rewind.archive.ArchiveLayout;
import io.rewind.archive.storage.local.LocalStorage;
import io.rewind.schema.Gap;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The archive's record of its holes: a gap stays open until a heal of its hour names it, and a gap published later reopens the hour. */
class GapLedgerTest {
    private static final long H = Instant.parse("2026-12-05T03:00:00Z").toEpochMilli();

    @TempDir
    Path dir;

    @Test
    void aGapIsOpenUntilAHealOfItsHourNamesItAndALaterGapOfTheHourIsOpenAgain() throws Exception {
        try (LocalStorage storage = new LocalStorage(dir)) {
            Gap cpu = gap(1, H, false, List.of("sys.cpu"), 10);
            Gap all = gap(2, H + Gap.HOUR_MS, true, List.of(), 5);
            for (Gap gap : List.of(cpu, all)) {
                storage.put(ArchiveLayout.gap("points", gap.hourStartMs(), gap.id()), gap.toJson());
            }
            storage.put(ArchiveLayout.gap("other", H, "tap-b-00000000-000000000001"), gap(1, H, false, List.of("x"), 1).toJson());
            GapLedger ledger = GapLedger.read(storage, "points");
            assertThat(ledger.open()).extracting(GapLedger.Hour::hourStartMs).containsExactly(H, H + Gap.HOUR_MS);
            assertThat(ledger.open().get(0).openMetrics()).containsExactly("sys.cpu");
            assertThat(ledger.open().get(1).allMetrics()).isTrue();
            assertThat(ledger.open(H + Gap.HOUR_MS, H + 2 * Gap.HOUR_MS)).hasSize(1);

            GapLedger.markHealed(storage, "points", ledger.open().get(0), "heal-2026120503-abc", H + 3 * Gap.HOUR_MS);
            Gap mem = gap(3, H, false, List.of("sys.mem"), 4);
            storage.put(ArchiveLayout.gap("points", H, mem.id()), mem.toJson());
            GapLedger after = GapLedger.read(storage, "points");
            GapLedger.Hour first = after.hours().iterator().next();
            assertThat(first.healed()).containsExactly(cpu);
            assertThat(first.healedBy()).containsExactly("heal-2026120503-abc");
            assertThat(first.open()).as("published after the heal").containsExactly(mem);
            assertThat(first.openMetrics()).containsExactly("sys.mem");
            assertThat(after.unreadable()).isEmpty();
            assertThat(ArchiveLayout.parse(ArchiveLayout.gap("points", H, cpu.id()))).as("not a data file").isEmpty();
            assertThat(ArchiveLayout.isGapRecord(ArchiveLayout.gapsHealed("points", H, "heal-2026120503-abc"))).isTrue();
        }
    }

    private static Gap gap(long seq, long hour, boolean all, List<String> metrics, long points) {
        return new Gap("tap-a", "0123abcd", seq, hour, all, metrics, points, hour + 1, hour + 2, Map.of("spool-full", points), List.of(io.rewind.schema.PointKind.PUT));
    }
}
