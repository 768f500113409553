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
 * A segment file's records: {@link SeriesPoints} to and from {@link SeriesBlock}, in the format version of the file's
 * header. The encodings are described on the schema ({@code segment.avsc}).
 * <ul>
 * <li>Version 1 keeps each column's numbers small (deltas, deltas of deltas, decimals as scaled integers) in Avro arrays
 * of longs, which Avro writes as varints, a byte or more each, before zstd.</li>
 * <li>Version 2 stores the same columns in the block's {@code columns} bytes, each with the transform that
 * makes it smallest and then bit-packed ({@link PackedLongs}): a column of regular timestamps takes a few bytes, a noisy
 * counter the bits its noise needs. Ingest times are stored as their lag behind the event time, or as they are when that
 * packs smaller (a replay, whose ingest times follow one another closely).</li>
 * </ul>
 * Files of every version stay readable: the reader tells them apart by the block's {@code columns}.
 */
public final class SegmentCodec {
    /** The version new files are written in. */
    public static final int FORMAT_VERSION = 3;
    /** The oldest version this Rewind reads. */
    public static final int OLDEST_READABLE_VERSION = 1;
    private static final long[] POWERS_OF_TEN = {1L, 10L, 100L, 1_000L, 10_000L, 100_000L, 1_000_000L, 10_000_000L,
            100_000_000L, 1_000_000_000L};
    private static final double MAX_EXACT = 1L << 53;
    /** Versions 2 and 3: the ingest column: the lag behind each event time, or the ingest times themselves. */
    private static final byte INGEST_AS_LAG = 0;
    private static final byte INGEST_AS_TIMES = 1;

    private SegmentCodec() {
    }

    /** The block of the current format version. */
    public static SeriesBlock encode(SeriesPoints points) {
        return encode(points, FORMAT_VERSION);
    }

    /** The block in a given format version (an older one for tests and benchmarks that compare versions). */
    public static SeriesBlock encode(SeriesPoints points, int formatVersion) {
        return switch (formatVersion) {
            case 1 -> encodeVersion1(points);
            case 2 -> encodeColumns(points, false);
            case 3 -> encodeColumns(points, true);
            default -> throw new IllegalArgumentException("no format version " + formatVersion);
        };
    }

    private static SeriesBlock.Builder common(SeriesPoints points) {
        SeriesId id = points.id();
        List<Tag> tags = new ArrayList<>();
        id.key().tags().forEach((k, v) -> tags.add(new Tag(k, v)));
        List<Histogram> histograms = new ArrayList<>();
        if (points.histogram(0) != null) {
            for (int i = 0; i < points.size(); i++) {
                histograms.add(points.histogram(i));
            }
        }
        BitSet floating = new BitSet();
        BitSet millis = new BitSet();
        for (int i = 0; i < points.size(); i++) {
            floating.set(i, points.isFloatingPoint(i));
            millis.set(i, points.isMilliseconds(i));
        }
        return SeriesBlock.newBuilder()
                .setMetric(id.key().metric())
                .setTags(tags)
                .setKind(id.kind())
                .setRollup(id.rollup())
                .setCount(points.size())
                .setMillisecondPrecision(bits(millis))
                .setFloatingPoint(bits(floating))
                .setHistograms(histograms);
    }

    /** Versions 2 and 3: the columns packed, with blocks Rice-coded where smaller when {@code coded} (version 3). */
    private static SeriesBlock encodeColumns(SeriesPoints points, boolean coded) {
        int n = points.size();
        long[] timestamps = new long[n];
        long[] lags = new long[n];
        long[] integers = new long[n];
        double[] floats = new double[n];
        int ni = 0;
        int nf = 0;
        for (int i = 0; i < n; i++) {
            timestamps[i] = points.timestampMs(i);
            lags[i] = points.ingestTimeMs(i) - timestamps[i];
            if (points.isFloatingPoint(i)) {
                floats[nf++] = Double.longBitsToDouble(points.valueBits(i));
            } else {
                integers[ni++] = points.valueBits(i);
            }
        }
        int scale = decimalScale(floats, nf);
        PackedLongs.Bytes columns = new PackedLongs.Bytes();
        PackedLongs.write(timestamps, n, PackedLongs.INTEGER_TRANSFORMS, coded, columns);
        // Ingest times: as their lag behind the event times (a live feed: the lag is the collector's delay), or as they are (a
        // replay or a backfill: they follow one another closely, whatever the event times), whichever packs smaller.
        PackedLongs.Plan asLags = PackedLongs.plan(lags, n, PackedLongs.INTEGER_TRANSFORMS, coded);
        long[] ingestTimes = new long[n];
        for (int i = 0; i < n; i++) {
            ingestTimes[i] = timestamps[i] + lags[i];
        }
        PackedLongs.Plan asTimes = PackedLongs.plan(ingestTimes, n, PackedLongs.INTEGER_TRANSFORMS, coded);
        boolean lagged = asLags.bytes() <= asTimes.bytes();
        columns.write(lagged ? INGEST_AS_LAG : INGEST_AS_TIMES);
        (lagged ? asLags : asTimes).write(columns);
        if (ni > 0) {
            PackedLongs.write(integers, ni, PackedLongs.INTEGER_TRANSFORMS, coded, columns);
        }
        if (nf > 0) {
            long[] encoded = new long[nf];
            for (int i = 0; i < nf; i++) {
                encoded[i] = scale >= 0 ? Math.round(floats[i] * POWERS_OF_TEN[scale]) : Double.doubleToRawLongBits(floats[i]);
            }
            PackedLongs.write(encoded, nf, scale >= 0 ? PackedLongs.INTEGER_TRANSFORMS : PackedLongs.BIT_TRANSFORMS, coded, columns);
        }
        return common(points)
                .setTimestamps(List.of())
                .setIntegerValues(List.of())
                .setFloatScale(scale)
                .setFloatValues(List.of())
                .setIngestTimes(List.of())
                .setColumns(ByteBuffer.wrap(columns.toByteArray()))
                .build();
    }

    private static SeriesBlock encodeVersion1(SeriesPoints points) {
        int n = points.size();
        List<Long> timestamps = new ArrayList<>(n);
        List<Long> ingestTimes = new ArrayList<>(n);
        List<Long> integers = new ArrayList<>();
        List<Double> floats = new ArrayList<>();
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
                floats.add(Double.longBitsToDouble(points.valueBits(i)));
            } else {
                integers.add(points.valueBits(i));
            }
        }
        double[] floatArray = floats.stream().mapToDouble(Double::doubleValue).toArray();
        int scale = decimalScale(floatArray, floatArray.length);
        return common(points)
                .setTimestamps(timestamps)
                .setIntegerValues(deltas(integers))
                .setFloatScale(scale)
                .setFloatValues(scale >= 0 ? scaledDeltas(floats, POWERS_OF_TEN[scale]) : xors(floats))
                .setIngestTimes(ingestTimes)
                .build();
    }

    /** The points of a block, or a description of what is inconsistent in it. */
    public static SeriesPoints decode(SeriesBlock block) {
        return block.getColumns().hasRemaining() ? decodeColumns(block) : decodeVersion1(block);
    }

    /** Versions 2 and 3 (each column says whether its blocks are coded). */
    private static SeriesPoints decodeColumns(SeriesBlock block) {
        int n = block.getCount();
        BitSet floating = BitSet.valueOf(block.getFloatingPoint());
        BitSet millis = BitSet.valueOf(block.getMillisecondPrecision());
        int nf = floating.cardinality();
        if (n <= 0 || nf > n || (!block.getHistograms().isEmpty() && block.getHistograms().size() != n)) {
            throw new IllegalArgumentException("Inconsistent block of " + block.getMetric() + ": " + n + " points, " + nf + " floating point, "
                    + block.getHistograms().size() + " histograms");
        }
        ByteBuffer bytes = block.getColumns();
        byte[] array;
        int offset;
        if (bytes.hasArray()) {
            array = bytes.array();
            offset = bytes.arrayOffset() + bytes.position();
        } else {
            array = new byte[bytes.remaining()];
            bytes.duplicate().get(array);
            offset = 0;
        }
        PackedLongs.Bytes.Reader in = new PackedLongs.Bytes.Reader(array, offset, bytes.remaining());
        long[] timestamps = new long[n];
        long[] lags = new long[n];
        long[] integers = new long[n - nf];
        long[] floats = new long[nf];
        try {
            PackedLongs.read(in, n, timestamps);
            byte ingest = in.readByte();
            if (ingest != INGEST_AS_LAG && ingest != INGEST_AS_TIMES) {
                throw new IllegalArgumentException("Inconsistent columns of " + block.getMetric() + ": ingest times stored as " + ingest);
            }
            PackedLongs.read(in, n, lags);
            if (ingest == INGEST_AS_TIMES) {
                for (int i = 0; i < n; i++) {
                    lags[i] -= timestamps[i];
                }
            }
            if (n - nf > 0) {
                PackedLongs.read(in, n - nf, integers);
            }
            if (nf > 0) {
                PackedLongs.read(in, nf, floats);
            }
        } catch (ArrayIndexOutOfBoundsException e) {
            throw new IllegalArgumentException("Inconsistent columns of " + block.getMetric() + ": " + e.getMessage(), e);
        }
        if (in.position() != offset + bytes.remaining()) {
            throw new IllegalArgumentException("Inconsistent columns of " + block.getMetric() + ": "
                    + (offset + bytes.remaining() - in.position()) + " bytes past the " + n + " points");
        }
        Map<String, String> tags = new LinkedHashMap<>();
        for (Tag tag : block.getTags()) {
            tags.put(tag.getKey(), tag.getValue());
        }
        SeriesPoints points = new SeriesPoints(new SeriesId(SeriesKey.of(block.getMetric(), tags), block.getKind(), block.getRollup()), n);
        int scale = block.getFloatScale();
        if (scale >= POWERS_OF_TEN.length) {
            throw new IllegalArgumentException("Inconsistent block of " + block.getMetric() + ": float scale " + scale);
        }
        double factor = scale >= 0 ? POWERS_OF_TEN[scale] : 1;
        int nextInteger = 0;
        int nextFloat = 0;
        boolean histograms = !block.getHistograms().isEmpty();
        for (int i = 0; i < n; i++) {
            boolean isFloat = floating.get(i);
            long bits;
            if (isFloat) {
                long encoded = floats[nextFloat++];
                bits = scale >= 0 ? Double.doubleToRawLongBits(encoded / factor) : encoded;
            } else {
                bits = integers[nextInteger++];
            }
            // A copy: the reader reuses the block's records for the next block, and a decoded series may outlive it.
            points.add(timestamps[i], millis.get(i), isFloat, bits, timestamps[i] + lags[i],
                    histograms ? Histogram.newBuilder(block.getHistograms().get(i)).build() : null);
        }
        return points;
    }

    private static SeriesPoints decodeVersion1(SeriesBlock block) {
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

    /** The fewest decimal places (0..9) that write each of the first {@code n} values exactly, or -1. */
    public static int decimalScale(double[] values, int n) {
        for (int scale = 0; scale < POWERS_OF_TEN.length; scale++) {
            double factor = POWERS_OF_TEN[scale];
            boolean exact = true;
            for (int i = 0; i < n; i++) {
                double v = values[i];
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
