package io.rewind.archive.segment;

import io.rewind.schema.Histogram;
import io.rewind.schema.SeriesBlock;
import io.rewind.schema.SeriesKey;
import io.rewind.schema.Tag;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Format version 1 of a segment file's records: {@link SeriesPoints} to and from {@link SeriesBlock}.
 * The encodings are described on the schema ({@code segment.avsc}); they keep each column's numbers
 * small, so that Avro's varints and then zstd store a regular series in little more than a byte a point.
 */
public final class SegmentCodec {
    public static final int FORMAT_VERSION = 1;
    private static final long[] POWERS_OF_TEN = {1L, 10L, 100L, 1_000L, 10_000L, 100_000L, 1_000_000L, 10_000_000L,
            100_000_000L, 1_000_000_000L};
    private static final double MAX_EXACT = 1L << 53;

    private SegmentCodec() {
    }

    public static SeriesBlock encode(SeriesPoints points) {
        int n = points.size();
        List<Long> timestamps = new ArrayList<>(n);
        List<Long> ingestTimes = new ArrayList<>(n);
        List<Long> integers = new ArrayList<>();
        List<Double> floats = new ArrayList<>();
        BitSet floating = new BitSet();
        BitSet millis = new BitSet();
        long previousTs = 0;
        long previousDelta = 0;
        long previousLag = 0;
        for (int i = 0; i < n; i++) {
            long ts = points.timestampMs(i);
            long delta = ts - previousTs;
            timestamps.add(i == 0 ? ts : i == 1 ? delta : delta - previousDelta);
            previousDelta = delta;
            previousTs = ts;
            long lag = points.ingestTimeMs(i) - ts;
            ingestTimes.add(lag - previousLag);
            previousLag = lag;
            if (points.isFloatingPoint(i)) {
                floating.set(i);
                floats.add(Double.longBitsToDouble(points.valueBits(i)));
            } else {
                integers.add(points.valueBits(i));
            }
            millis.set(i, points.isMilliseconds(i));
        }
        int scale = decimalScale(floats);
        SeriesId id = points.id();
        List<Tag> tags = new ArrayList<>();
        id.key().tags().forEach((k, v) -> tags.add(new Tag(k, v)));
        List<Histogram> histograms = new ArrayList<>();
        if (points.histogram(0) != null) {
            for (int i = 0; i < n; i++) {
                histograms.add(points.histogram(i));
            }
        }
        return SeriesBlock.newBuilder()
                .setMetric(id.key().metric())
                .setTags(tags)
                .setKind(id.kind())
                .setRollup(id.rollup())
                .setCount(n)
                .setTimestamps(timestamps)
                .setMillisecondPrecision(bits(millis))
                .setFloatingPoint(bits(floating))
                .setIntegerValues(deltas(integers))
                .setFloatScale(scale)
                .setFloatValues(scale >= 0 ? scaledDeltas(floats, POWERS_OF_TEN[scale]) : xors(floats))
                .setIngestTimes(ingestTimes)
                .setHistograms(histograms)
                .build();
    }

    /** The points of a block, or a description of what is inconsistent in it. */
    public static SeriesPoints decode(SeriesBlock block) {
        int n = block.getCount();
        List<Long> timestamps = block.getTimestamps();
        List<Long> ingestTimes = block.getIngestTimes();
        BitSet floating = BitSet.valueOf(block.getFloatingPoint());
        BitSet millis = BitSet.valueOf(block.getMillisecondPrecision());
        int floats = floating.cardinality();
        if (timestamps.size() != n || ingestTimes.size() != n || block.getIntegerValues().size() != n - floats
                || block.getFloatValues().size() != floats || (!block.getHistograms().isEmpty() && block.getHistograms().size() != n)) {
            throw new IllegalArgumentException("Inconsistent block of " + block.getMetric() + ": " + n + " points, "
                    + timestamps.size() + " timestamps, " + ingestTimes.size() + " ingest times, "
                    + block.getIntegerValues().size() + " integers, " + block.getFloatValues().size() + " floats");
        }
        Map<String, String> tags = new LinkedHashMap<>();
        for (Tag tag : block.getTags()) {
            tags.put(tag.getKey(), tag.getValue());
        }
        SeriesPoints points = new SeriesPoints(new SeriesId(SeriesKey.of(block.getMetric(), tags), block.getKind(), block.getRollup()), n);
        int scale = block.getFloatScale();
        long ts = 0;
        long delta = 0;
        long lag = 0;
        long integer = 0;
        long scaled = 0;
        long floatBits = 0;
        int nextInteger = 0;
        int nextFloat = 0;
        List<Long> integers = block.getIntegerValues();
        List<Long> floatValues = block.getFloatValues();
        for (int i = 0; i < n; i++) {
            long t = timestamps.get(i);
            if (i == 0) {
                ts = t;
            } else {
                delta = i == 1 ? t : delta + t;
                ts += delta;
            }
            lag += ingestTimes.get(i);
            long bits;
            boolean isFloat = floating.get(i);
            if (isFloat) {
                long encoded = floatValues.get(nextFloat);
                if (scale >= 0) {
                    scaled = nextFloat == 0 ? encoded : scaled + encoded;
                    bits = Double.doubleToRawLongBits(scaled / (double) POWERS_OF_TEN[scale]);
                } else {
                    floatBits = floatBits ^ Long.reverse(encoded);
                    bits = floatBits;
                }
                nextFloat++;
            } else {
                long encoded = integers.get(nextInteger);
                integer = nextInteger == 0 ? encoded : integer + encoded;
                bits = integer;
                nextInteger++;
            }
            // A copy: the reader reuses the block's records for the next block, and a decoded series may outlive it.
            points.add(ts, millis.get(i), isFloat, bits, ts + lag,
                    block.getHistograms().isEmpty() ? null : Histogram.newBuilder(block.getHistograms().get(i)).build());
        }
        return points;
    }

    /** The fewest decimal places (0..9) that write every value exactly, or -1. */
    static int decimalScale(List<Double> values) {
        for (int scale = 0; scale < POWERS_OF_TEN.length; scale++) {
            double factor = POWERS_OF_TEN[scale];
            boolean exact = true;
            for (double v : values) {
                double scaled = v * factor;
                if (!(Math.abs(scaled) < MAX_EXACT) || Math.round(scaled) / factor != v
                        || Double.doubleToRawLongBits(v) == Double.doubleToRawLongBits(-0.0d)) {
                    exact = false;
                    break;
                }
            }
            if (exact) {
                return scale;
            }
        }
        return -1;
    }

    private static List<Long> deltas(List<Long> values) {
        List<Long> out = new ArrayList<>(values.size());
        long previous = 0;
        for (int i = 0; i < values.size(); i++) {
            long v = values.get(i);
            out.add(i == 0 ? v : v - previous);
            previous = v;
        }
        return out;
    }

    private static List<Long> scaledDeltas(List<Double> values, long factor) {
        List<Long> scaled = new ArrayList<>(values.size());
        for (double v : values) {
            scaled.add(Math.round(v * factor));
        }
        return deltas(scaled);
    }

    private static List<Long> xors(List<Double> values) {
        List<Long> out = new ArrayList<>(values.size());
        long previous = 0;
        for (double v : values) {
            long bits = Double.doubleToRawLongBits(v);
            out.add(Long.reverse(bits ^ previous));
            previous = bits;
        }
        return out;
    }

    private static ByteBuffer bits(BitSet set) {
        return ByteBuffer.wrap(set.toByteArray());
    }
}
