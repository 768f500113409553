package io.rewind.restore.follow;

import static org.assertj.core.api.Assertions.assertThat;

import io.rewind.archive.segment.SeriesId;
import io.rewind.archive.segment.SeriesPoints;
import io.rewind.schema.PointKind;
import io.rewind.schema.SeriesKey;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What one batch of a follower writes of the versions it read: the last of each timestamp, as the archive's as-of rule keeps. */
class FollowerTest {
    private static final SeriesId ID = new SeriesId(SeriesKey.of("follow.test", Map.of("host", "a")), PointKind.PUT, null);

    @Test
    void theVersionReceivedLastWinsAndTiesInOneMillisecondKeepArrivalOrder() {
        SeriesPoints read = new SeriesPoints(ID, 8)
                .add(2_000, false, false, 20, 100, null)
                .add(1_000, false, false, 10, 100, null)
                .add(1_000, false, false, 11, 105, null) // a rewrite
                .add(2_000, false, false, 21, 100, null) // the same millisecond: arrival decides
                .add(3_000, false, false, 30, 101, null);
        SeriesPoints written = Follower.lastVersions(read.sorted());
        assertThat(written.size()).isEqualTo(3);
        assertThat(written.valueBits(0)).isEqualTo(11);
        assertThat(written.valueBits(1)).isEqualTo(21);
        assertThat(written.valueBits(2)).isEqualTo(30);
    }

    @Test
    void aSeriesWithOneVersionPerTimestampIsWrittenAsItIs() {
        SeriesPoints read = new SeriesPoints(ID, 2).add(1_000, false, false, 1, 100, null).add(2_000, false, false, 2, 100, null);
        assertThat(Follower.lastVersions(read.sorted())).isSameAs(read);
    }
}
