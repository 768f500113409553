package io.rewind.archive;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

class ArchiveLayoutTest {
    private static final long HOUR = 3_600_000L;
    private static final long T = Instant.parse("2026-11-21T13:00:00Z").toEpochMilli();

    @Test
    void namesAreTimeFirstAndZeroPadded() {
        assertThat(ArchiveLayout.part("points", T, HOUR, 7, 1_000, 1_999))
                .isEqualTo("v1/points/dt=2026-11-21/hour=13/p=0007/part-00000000000000001000-00000000000000001999.avro");
        assertThat(ArchiveLayout.segment("points", T, HOUR, 7, 2))
                .isEqualTo("v1/points/dt=2026-11-21/hour=13/p=0007/segment-0000000002.avro");
        assertThat(ArchiveLayout.hourPrefix("points", T + 59 * 60_000L)).isEqualTo("v1/points/dt=2026-11-21/hour=13/");
    }

    @Test
    void listingOrderIsTimeThenPartitionThenOffsetOrder() {
        List<String> expected = List.of(
                ArchiveLayout.part("points", T, HOUR, 0, 9, 99),
                ArchiveLayout.part("points", T, HOUR, 0, 100, 1_000),
                ArchiveLayout.segment("points", T, HOUR, 0, 1),
                ArchiveLayout.part("points", T, HOUR, 12, 5, 6),
                ArchiveLayout.part("points", T + HOUR, HOUR, 0, 0, 1),
                ArchiveLayout.part("points", T + 11 * HOUR, HOUR, 0, 0, 1));
        List<String> shuffled = new ArrayList<>(expected);
        Collections.shuffle(shuffled, new java.util.Random(3));
        Collections.sort(shuffled);

        assertThat(shuffled).containsExactlyElementsOf(expected);
    }

    @Test
    void windowsShorterThanAnHourGetTheirOwnDirectory() {
        long tenMinutes = 600_000L;

        assertThat(ArchiveLayout.part("points", T + tenMinutes, tenMinutes, 1, 0, 5))
                .isNotEqualTo(ArchiveLayout.part("points", T, tenMinutes, 1, 0, 5))
                .isEqualTo("v1/points/dt=2026-11-21/hour=13/minute=10/p=0001/part-00000000000000000000-00000000000000000005.avro")
                .startsWith(ArchiveLayout.hourPrefix("points", T));
    }

    @Test
    void namesParseBackAndOtherObjectsDoNot() {
        assertThat(ArchiveLayout.parse(ArchiveLayout.part("points", T, HOUR, 7, 1_000, 1_999)))
                .contains(new ArchiveLayout.FileName("points", T, 7, false, 1_000, 1_999, 0));
        assertThat(ArchiveLayout.parse(ArchiveLayout.segment("points", T + 600_000L, 600_000L, 3, 4)))
                .contains(new ArchiveLayout.FileName("points", T + 600_000L, 3, true, -1, -1, 4));
        assertThat(ArchiveLayout.parse(ArchiveLayout.segment("points", T, HOUR, 7, 2) + ".sha256")).isEmpty();
        assertThat(ArchiveLayout.parse("v1/points/readme.txt")).isEmpty();
    }

    @Test
    void aBaselinesFilesLiveInTheirHoursUnderTheirOwnNameThatNoArchiverFileCanTake() {
        String key = ArchiveLayout.baseline("points", T, "tsdb", "00ff00ff00ff00ff", 3);
        assertThat(key).isEqualTo("v1/points/dt=2026-11-21/hour=13/baseline/tsdb/r-00ff00ff00ff00ff-000003.avro")
                .startsWith(ArchiveLayout.hourPrefix("points", T));
        assertThat(ArchiveLayout.parse(key)).contains(new ArchiveLayout.FileName("points", T, -1, false, -1, -1, 0, "tsdb"));
        assertThat(ArchiveLayout.parse(ArchiveLayout.part("points", T, HOUR, 7, 1, 2)).orElseThrow().isBaseline()).isFalse();
        String state = ArchiveLayout.baselineState("points", "tsdb", 0, 4);
        assertThat(state).isEqualTo("v1/points/baseline/tsdb/shard-0-of-4.json").startsWith(ArchiveLayout.baselineStates("points"));
        assertThat(ArchiveLayout.isBaselineState(state)).isTrue();
        assertThat(ArchiveLayout.parse(state)).isEmpty();
        assertThat(ArchiveLayout.isBaselineState(key)).isFalse();
    }
}
