package io.rewind.tap.record;

import static org.assertj.core.api.Assertions.assertThat;

import io.rewind.schema.Histogram;
import io.rewind.schema.Point;
import io.rewind.schema.PointKind;
import io.rewind.schema.Rollup;
import io.rewind.schema.SeriesKey;
import io.rewind.schema.TimestampPrecision;
import io.rewind.schema.wire.SingleObjectWireFormat;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The encoder writes a put point's value itself: the bytes must be the ones Avro's own writer gives for the same point, for
 * every kind of name (ASCII, any Unicode, empty), value and tag map; rollups and histograms take Avro's writer.
 */
class PointEncoderTest {
    private static final List<String> NAMES = List.of("sys.cpu.user", "host", "web01", "", "température", "東京", "emoji-😀",
            "a/b_c-d.e", "x".repeat(300), "\u0001ctl", "\u007f\u0080\u07ff\u0800\uffff");
    private final SingleObjectWireFormat<Point> format = new SingleObjectWireFormat<>(Point.class);
    private final PointEncoder encoder = new PointEncoder(format);

    PointEncoderTest() {
        encoder.prepare();
    }

    @Test
    void writesTheBytesAvrosWriterGivesForEveryKindOfPoint() {
        Random random = new Random(20261130);
        for (int i = 0; i < 50_000; i++) {
            Point point = randomPoint(random);
            PointRecord record = encoder.encode(point, i);
            assertThat(record.value()).as("point %s", point).isEqualTo(format.encode(point));
            assertThat(record.key()).isEqualTo(SeriesKey.of(point).toBytes());
            assertThat(record.receivedMs()).isEqualTo(i);
            // The metric as UTF-8 gives it back: a name with a lone surrogate comes back as Avro wrote it, as the series key does.
            String metric = new String(point.getMetric().getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8);
            assertThat(PointEncoder.read(record.value(), format.header().length))
                    .isEqualTo(new PointEncoder.Read(metric, point.getTimestampMs(), point.getKind()));
            if (utf8(point.getMetric()) && point.getTags().entrySet().stream().allMatch(tag -> utf8(tag.getKey()) && utf8(tag.getValue()))) {
                assertThat(format.decode(record.value())).isEqualTo(point);
            }
        }
    }

    @Test
    void anEncoderNotPreparedUsesAvrosWriter() {
        PointEncoder unprepared = new PointEncoder(format);
        Point point = randomPoint(new Random(1));
        assertThat(unprepared.encode(point, 0).value()).isEqualTo(format.encode(point));
    }

    private static Point randomPoint(Random random) {
        Map<String, String> tags = random.nextBoolean() ? new HashMap<>() : new LinkedHashMap<>();
        int count = random.nextInt(10) == 0 ? 0 : 1 + random.nextInt(8);
        for (int t = 0; t < count; t++) {
            tags.put(name(random) + t, name(random));
        }
        Object value = switch (random.nextInt(6)) {
            case 0 -> null;
            case 1 -> random.nextLong();
            case 2 -> (long) random.nextInt(1000) - 500;
            case 3 -> List.of(Double.NaN, -0.0, 0.0, Double.MAX_VALUE, Double.MIN_VALUE, Double.NEGATIVE_INFINITY).get(random.nextInt(6));
            default -> random.nextGaussian() * Math.pow(10, random.nextInt(30) - 15);
        };
        Point.Builder point = Point.newBuilder().setMetric(name(random)).setTimestampMs(random.nextLong() >>> random.nextInt(64))
                .setPrecision(random.nextBoolean() ? TimestampPrecision.SECONDS : TimestampPrecision.MILLISECONDS)
                .setValue(value).setTags(tags);
        switch (random.nextInt(8)) {
            case 0 -> point.setKind(PointKind.ROLLUP).setRollup(Rollup.newBuilder().setInterval("1h").setAggregator("SUM").build());
            case 1 -> point.setKind(PointKind.HISTOGRAM).setValue(null).setHistogram(Histogram.newBuilder().setId(1).build());
            case 2 -> point.setKind(PointKind.ROLLUP); // a kind without its rollup: written as it is
            default -> point.setKind(PointKind.PUT);
        }
        return point.build();
    }

    /** Whether UTF-8 has the string's form (no unpaired surrogate, which both writers write as '?'). */
    private static boolean utf8(String s) {
        return new String(s.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8).equals(s);
    }

    private static String name(Random random) {
        if (random.nextInt(4) > 0) {
            return NAMES.get(random.nextInt(3)) + random.nextInt(100);
        }
        StringBuilder s = new StringBuilder(NAMES.get(random.nextInt(NAMES.size())));
        if (random.nextInt(20) == 0) {
            s.append((char) (0xD800 + random.nextInt(0x800))); // an unpaired surrogate: UTF-8 has no form for it
        }
        return s.toString();
    }
}
