package io.rewind.archive.segment;

import static org.assertj.core.api.Assertions.assertThat;

import io.rewind.schema.Histogram;
import io.rewind.schema.HistogramBucket;
import io.rewind.schema.PointKind;
import io.rewind.schema.SeriesKey;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SeriesPointsTest {
    private static final long T = 1_763_726_400_000L;

    @Test
    void histogramVersionsReadTwiceAreKeptOnceWhateverOrderTheyCameIn() {
        Histogram small = histogram(3);
        Histogram large = histogram(9);
        SeriesPoints read = new SeriesPoints(new SeriesId(SeriesKey.of("http.latency", Map.of("host", "a")), PointKind.HISTOGRAM, null), 4)
                .add(T, false, false, 0, T + 100, small)
                .add(T, false, false, 0, T + 100, large)
                .add(T, false, false, 0, T + 100, small); // the first again: a part read twice after a crash
        SeriesPoints sorted = read.sorted();
        assertThat(sorted.size()).isEqualTo(2);
        assertThat(List.of(sorted.histogram(0), sorted.histogram(1))).containsExactlyInAnyOrder(small, large);
    }

    private static Histogram histogram(long count) {
        return Histogram.newBuilder().setBuckets(List.of(new HistogramBucket(0d, 1.5d, count))).build();
    }
}
