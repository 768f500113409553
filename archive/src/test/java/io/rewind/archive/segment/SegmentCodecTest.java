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
            for (int version = 2; version <= SegmentCodec.FORMAT_VERSION; version++) {
                SeriesBlock block = SegmentCodec.encode(points, version);
                assertThat(SegmentCodec.decode(block)).isEqualTo(points);
                // 6 bits of noise a point for the values; timestamps and ingest times take a few bytes a block.
                assertThat(block.getColumns().remaining()).as(points.id() + " in version " + version).isLessThan(720 * 6 / 8 + 100);
            }
            assertThat(SegmentCodec.decode(SegmentCodec.encode(points, 1))).isEqualTo(points);
        }
    }

    @Test
    void version3CodesAGaugeIdleMostOfTheTimeInFewerBytesAndNothingInMore() {
        Random random = new Random(12);
        SeriesPoints idle = series("idle");
        SeriesPoints bursty = series("bursty");
        long used = 51_234;
        long value = 1_000_000_000L;
        for (int i = 0; i < 720; i++) {
            long ts = T0 + i * 15_000L;
            // A file system's use in thousandths of a percent: moves one interval in ten, by a few thousandths.
            used += random.nextInt(10) == 0 ? Math.round(random.nextGaussian() * 10) : 0;
            // Interrupts: a rate with a little noise, and one interval in fifty a burst of five times the rate.
            value += Math.round(30_000 * (random.nextInt(50) == 0 ? 5 : 1) * (1 + random.nextGaussian() * 0.01));
            idle.add(ts, false, false, used, ts + 500, null);
            bursty.add(ts, false, false, value, ts + 500, null);
        }
        SeriesBlock idle2 = SegmentCodec.encode(idle, 2);
        SeriesBlock idle3 = SegmentCodec.encode(idle, 3);
        SeriesBlock bursty2 = SegmentCodec.encode(bursty, 2);
        SeriesBlock bursty3 = SegmentCodec.encode(bursty, 3);
        assertThat(SegmentCodec.decode(idle3)).isEqualTo(idle);
        assertThat(SegmentCodec.decode(bursty3)).isEqualTo(bursty);
        // Framed, each block of the idle gauge takes the bits of its largest move on every point; coded, a bit a point
        // and a few for each move.
        assertThat(idle3.getColumns().remaining()).isLessThan(idle2.getColumns().remaining() * 6 / 10);
        // Framed, the bursts are exceptions of a few bytes each, cheaper than a Rice code's escapes: those blocks stay framed,
        // and no column takes more than it did.
        assertThat(bursty3.getColumns().remaining()).isLessThanOrEqualTo(bursty2.getColumns().remaining());
    }

    private static SeriesPoints series(String host) {
        return new SeriesPoints(SeriesId.of(SeriesKey.of("proc.stat.cpu", Map.of("host", host))), 720);
    }
}
