package io.rewind.archive.segment;

import static org.assertj.core.api.Assertions.assertThat;

import io.rewind.schema.SeriesBlock;
import io.rewind.schema.SeriesKey;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SegmentCodecTest {
    private static final long T0 = 1_763_726_400_000L;

    @Test
    void liveAndReplayedIngestTimesEachReadBackExactlyInFewBytes() {
        Random random = new Random(11);
        SeriesPoints live = series("live");
        SeriesPoints replayed = series("replayed");
        long counter = 0;
        for (int i = 0; i < 720; i++) {
            long ts = T0 + i * 15_000L;
            counter += 400 + random.nextInt(64);
            live.add(ts, false, false, counter, ts + 500, null); // a collector that sends half a second after each interval
            replayed.add(ts, false, false, counter, T0 + 86_400_000L + i, null); // a backfill, one point a millisecond
        }
        for (SeriesPoints points : new SeriesPoints[] {live, replayed}) {
            SeriesBlock version2 = SegmentCodec.encode(points, 2);
            assertThat(SegmentCodec.decode(version2)).isEqualTo(points);
            assertThat(SegmentCodec.decode(SegmentCodec.encode(points, 1))).isEqualTo(points);
            // 6 bits of noise a point for the values; timestamps and ingest times take a few bytes a block.
            assertThat(version2.getColumns().remaining()).as(points.id().toString()).isLessThan(720 * 6 / 8 + 100);
        }
    }

    private static SeriesPoints series(String host) {
        return new SeriesPoints(SeriesId.of(SeriesKey.of("proc.stat.cpu", Map.of("host", host))), 720);
    }
}
