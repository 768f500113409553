package io.rewind.archive.segment;

import io.rewind.schema.Histogram;
import io.rewind.schema.Point;
import io.rewind.schema.TimestampPrecision;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.Objects;

/**
 * The points of one series, column by column in primitive arrays: event time, ingest time, value
 * (a long, or a double's bits) and, per point, whether it is floating point and whether the client
 * sent milliseconds. What segment files hold and what the readers hand out.
 */
public final class SeriesPoints {
    private final SeriesId id;
    private int size;
    private long[] timestamps;
    private long[] ingestTimes;
    private long[] values;
    private final BitSet floating = new BitSet();
    private final BitSet millis = new BitSet();
    private List<Histogram> histograms;

    public SeriesPoints(SeriesId id, int capacity) {
        this.id = Objects.requireNonNull(id);
        int initial = Math.max(capacity, 4);
        timestamps = new long[initial];
        ingestTimes = new long[initial];
        values = new long[initial];
    }

    public SeriesId id() {
        return id;
    }

    public int size() {
        return size;
    }

    public long timestampMs(int i) {
        return timestamps[i];
    }

    public long ingestTimeMs(int i) {
        return ingestTimes[i];
    }

    public boolean isFloatingPoint(int i) {
        return floating.get(i);
    }

    public boolean isMilliseconds(int i) {
        return millis.get(i);
    }

    public TimestampPrecision precision(int i) {
        return millis.get(i) ? TimestampPrecision.MILLISECONDS : TimestampPrecision.SECONDS;
    }

    /** The integer value, or the bits of the floating-point value ({@link Double#longBitsToDouble}). */
    public long valueBits(int i) {
        return values[i];
    }

    /** The value as OpenTSDB sees it: a Long or a Double; null for a histogram point. */
    public Object value(int i) {
        if (histograms != null) {
            return null;
        }
        return floating.get(i) ? (Object) Double.longBitsToDouble(values[i]) : (Object) values[i];
    }

    public Histogram histogram(int i) {
        return histograms == null ? null : histograms.get(i);
    }

    /** Appends a point. */
    public SeriesPoints add(long timestampMs, boolean milliseconds, boolean floatingPoint, long valueBits, long ingestTimeMs,
            Histogram histogram) {
        if (size == timestamps.length) {
            int grown = size * 2;
            timestamps = Arrays.copyOf(timestamps, grown);
            ingestTimes = Arrays.copyOf(ingestTimes, grown);
            values = Arrays.copyOf(values, grown);
        }
        timestamps[size] = timestampMs;
        ingestTimes[size] = ingestTimeMs;
        values[size] = valueBits;
        floating.set(size, floatingPoint);
        millis.set(size, milliseconds);
        if (histogram != null) {
            if (histograms == null) {
                histograms = new ArrayList<>();
            }
            histograms.add(histogram);
        }
        size++;
        return this;
    }

    /** Appends a point read from Kafka, with the time the tap received it. */
    public SeriesPoints add(Point point, long ingestTimeMs) {
        Object value = point.getValue();
        boolean floatingPoint = value instanceof Double;
        long bits = value == null ? 0L : floatingPoint ? Double.doubleToRawLongBits((Double) value) : (Long) value;
        return add(point.getTimestampMs(), point.getPrecision() == TimestampPrecision.MILLISECONDS, floatingPoint, bits,
                ingestTimeMs, point.getHistogram());
    }

    /** Appends point {@code i} of another series' points. */
    public SeriesPoints addFrom(SeriesPoints other, int i) {
        return add(other.timestamps[i], other.millis.get(i), other.floating.get(i), other.values[i], other.ingestTimes[i],
                other.histogram(i));
    }

    /** The point as it travels in Kafka (without its ingest time). */
    public Point toPoint(int i) {
        return Point.newBuilder()
                .setMetric(id.key().metric())
                .setTags(new java.util.LinkedHashMap<>(id.key().tags()))
                .setTimestampMs(timestamps[i])
                .setPrecision(precision(i))
                .setValue(value(i))
                .setKind(id.kind())
                .setRollup(id.rollup())
                .setHistogram(histogram(i))
                .build();
    }

    /**
     * Orders the points by (timestamp, ingest time) and drops exact duplicates: the same point, ingested at the same time,
     * read twice (guarantee 2: effectively once). Versions of one timestamp ingested in the same millisecond keep the order
     * in which they were appended, which is the order they arrived in (guarantee 11: the tie is broken by arrival, never by
     * value), and a version read twice keeps its last place among them, so that the version received last stays last even
     * when overlapping files are merged in arrival order. Points already in order with no two of one (timestamp, ingest
     * time), as a file's blocks nearly always are, are returned as they are.
     */
    public SeriesPoints sorted() {
        boolean inOrder = true;
        for (int i = 1; i < size && inOrder; i++) {
            inOrder = compare(i - 1, i) < 0;
        }
        if (inOrder) {
            return this;
        }
        Integer[] order = new Integer[size];
        for (int i = 0; i < size; i++) {
            order[i] = i;
        }
        Arrays.sort(order, this::compare); // stable: points of one (timestamp, ingest time) stay in arrival order
        SeriesPoints out = new SeriesPoints(id, size);
        for (int start = 0, end; start < size; start = end) {
            end = start + 1;
            while (end < size && compare(order[start], order[end]) == 0) {
                end++;
            }
            for (int k = start; k < end; k++) {
                if (!arrivesAgain(order, k, end)) {
                    out.addFrom(this, order[k]);
                }
            }
        }
        return out;
    }

    /** Whether the version at {@code order[k]} comes again before {@code order[end]}: then only its last arrival counts. */
    private boolean arrivesAgain(Integer[] order, int k, int end) {
        for (int later = k + 1; later < end; later++) {
            if (sameVersion(order[k], this, order[later])) {
                return true;
            }
        }
        return false;
    }

    /** By timestamp, then ingest time; versions that tie on both are ordered by arrival, which the order of the points holds. */
    int compare(int a, int b) {
        int c = Long.compare(timestamps[a], timestamps[b]);
        return c != 0 ? c : Long.compare(ingestTimes[a], ingestTimes[b]);
    }

    /** Same timestamp, ingest time, value and precision: one version, however often it was read. */
    boolean sameVersion(int i, SeriesPoints other, int j) {
        return timestamps[i] == other.timestamps[j] && ingestTimes[i] == other.ingestTimes[j]
                && values[i] == other.values[j] && floating.get(i) == other.floating.get(j)
                && millis.get(i) == other.millis.get(j) && Objects.equals(histogram(i), other.histogram(j));
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof SeriesPoints other) || !id.equals(other.id) || size != other.size) {
            return false;
        }
        for (int i = 0; i < size; i++) {
            if (!sameVersion(i, other, i)) {
                return false;
            }
        }
        return true;
    }

    @Override
    public int hashCode() {
        return id.hashCode() * 31 + size;
    }

    @Override
    public String toString() {
        StringBuilder out = new StringBuilder(id.toString()).append(" [");
        for (int i = 0; i < Math.min(size, 5); i++) {
            out.append(i == 0 ? "" : ", ").append(timestamps[i]).append('=').append(value(i)).append('@').append(ingestTimes[i]);
        }
        return out.append(size > 5 ? ", ... " + size + " points]" : "]").toString();
    }
}
