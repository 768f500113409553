package io.rewind.tap.protocol;

import io.rewind.tap.record.AvroBody;
import io.rewind.tap.record.PointEncoder;
import io.rewind.tap.record.PointRecord;
import java.util.Arrays;

/**
 * One put point read straight from the bytes a client sent, as the fast paths ({@link TelnetPutFastPath},
 * {@link JsonPutFastPath}) read it: where its names are in those bytes, its timestamp and value as read, and the Kafka
 * record written from them in one pass (the series key, and the Avro body with its tags in key order). Each thread that
 * reads points keeps one ({@link #perThread}) and reuses it for the next point ({@link #start}).
 *
 * <p>Only what OpenTSDB stores as it is read here is taken: names of its ASCII characters, a timestamp of 1 to 13 digits,
 * an integer of at most 18 digits or a decimal of at most 15 digits without exponent, 1 to {@code max.tags} tags of
 * distinct keys. Anything else makes the reader give up on the point, and the full parser, which knows every rule and
 * every answer of OpenTSDB, reads it.
 */
final class FastPut {
    /** Avro's indexes of the enums' symbols. */
    private static final int SECONDS = 0;
    private static final int MILLISECONDS = 1;
    private static final int PUT = 0;
    private static final double[] POWERS_OF_TEN = new double[23];

    static {
        POWERS_OF_TEN[0] = 1;
        for (int i = 1; i < POWERS_OF_TEN.length; i++) {
            POWERS_OF_TEN[i] = POWERS_OF_TEN[i - 1] * 10;
        }
    }

    private final int[] keyStart;
    private final int[] keyEnd;
    private final int[] valueStart;
    private final int[] valueEnd;
    /** The tags' indexes in key order. */
    private final int[] order;
    private final AvroBody body = new AvroBody();
    /** The bytes every record value starts with before its Avro body (the wire format's). */
    private final byte[] header;
    private int tags;
    private long mantissa;
    private boolean negative;
    /** Digits after the decimal point, or -1 for an integer. */
    private int decimals;

    private FastPut(int maxTags, byte[] header) {
        this.header = header;
        keyStart = new int[maxTags];
        keyEnd = new int[maxTags];
        valueStart = new int[maxTags];
        valueEnd = new int[maxTags];
        order = new int[maxTags];
    }

    /**
     * One for each thread that reads points.
     *
     * @param maxTags OpenTSDB's {@code tsd.storage.max_tags}
     * @param header  the bytes every record value starts with before its Avro body (the wire format's)
     */
    static ThreadLocal<FastPut> perThread(int maxTags, byte[] header) {
        byte[] copy = header.clone();
        return ThreadLocal.withInitial(() -> new FastPut(maxTags, copy));
    }

    /** Starts the next point. */
    FastPut start() {
        tags = 0;
        return this;
    }

    /** Where a name of OpenTSDB's ASCII characters ({@code a-z A-Z 0-9 - _ . /}) that starts at {@code from} ends. */
    static int nameEnd(byte[] bytes, int from, int end) {
        int at = from;
        while (at < end && PointRules.isAsciiNameChar(bytes[at])) {
            at++;
        }
        return at;
    }

    /** The timestamp in {@code [start, end)}: 1 to 13 digits, not 0; -1 when it is not one this path takes. */
    static long timestamp(byte[] bytes, int start, int end) {
        if (end == start || end - start > 13) {
            return -1;
        }
        long timestamp = 0;
        for (int at = start; at < end; at++) {
            byte b = bytes[at];
            if (b < '0' || b > '9') {
                return -1;
            }
            timestamp = timestamp * 10 + (b - '0');
        }
        return timestamp == 0 ? -1 : timestamp;
    }

    /**
     * Reads the value in {@code [start, end)}: an optional '-', digits, at most one '.' among them (an integer of at most 18
     * digits, a decimal of at most 15). False when it is not one this path takes.
     */
    boolean value(byte[] bytes, int start, int end) {
        int at = start;
        negative = at < end && bytes[at] == '-';
        if (negative) {
            at++;
        }
        long m = 0;
        int digits = 0;
        int point = -1;
        for (; at < end; at++) {
            byte b = bytes[at];
            if (b >= '0' && b <= '9') {
                m = m * 10 + (b - '0');
                digits++;
            } else if (b == '.' && point < 0) {
                point = at;
            } else {
                return false; // a sign elsewhere, an exponent, a letter: the full parser's
            }
        }
        if (digits == 0 || (point < 0 ? digits > 18 : digits > 15)) {
            return false;
        }
        mantissa = m;
        decimals = point < 0 ? -1 : end - point - 1;
        return true;
    }

    /** Adds a tag, its key in {@code [ks, ke)} and value in {@code [vs, ve)}; false when there are too many, or the key is there already. */
    boolean tag(byte[] bytes, int ks, int ke, int vs, int ve) {
        if (tags == order.length) {
            return false;
        }
        for (int t = 0; t < tags; t++) {
            if (Arrays.equals(bytes, keyStart[t], keyEnd[t], bytes, ks, ke)) {
                return false; // the same key twice: OpenTSDB's own rules decide
            }
        }
        keyStart[tags] = ks;
        keyEnd[tags] = ke;
        valueStart[tags] = vs;
        valueEnd[tags] = ve;
        // Insertion sort by key bytes, as the series key orders them.
        int slot = tags;
        while (slot > 0 && Arrays.compareUnsigned(bytes, keyStart[order[slot - 1]], keyEnd[order[slot - 1]], bytes, ks, ke) > 0) {
            order[slot] = order[slot - 1];
            slot--;
        }
        order[slot] = tags++;
        return true;
    }

    /**
     * The point's record: the metric in {@code [metricStart, metricEnd)}, the timestamp, the value and the tags read before
     * (at least one: both readers give up on a point without).
     */
    PointRecord record(byte[] bytes, int metricStart, int metricEnd, long timestamp, long receivedMs) {
        boolean millis = PointRules.isMilliseconds(timestamp);
        // The series key: metric, then NUL key NUL value per tag in key order.
        int keyLength = metricEnd - metricStart;
        for (int t = 0; t < tags; t++) {
            keyLength += 2 + keyEnd[t] - keyStart[t] + valueEnd[t] - valueStart[t];
        }
        byte[] key = new byte[keyLength];
        int k = metricEnd - metricStart;
        System.arraycopy(bytes, metricStart, key, 0, k);
        for (int i = 0; i < tags; i++) {
            int t = order[i];
            key[k++] = 0;
            System.arraycopy(bytes, keyStart[t], key, k, keyEnd[t] - keyStart[t]);
            k += keyEnd[t] - keyStart[t];
            key[k++] = 0;
            System.arraycopy(bytes, valueStart[t], key, k, valueEnd[t] - valueStart[t]);
            k += valueEnd[t] - valueStart[t];
        }
        // The Avro body of the Point record, field by field in the schema's order.
        AvroBody out = body.start(header);
        out.string(bytes, metricStart, metricEnd);
        out.varLong(millis ? timestamp : timestamp * 1000);
        out.varLong(millis ? MILLISECONDS : SECONDS);
        if (decimals < 0) {
            out.varLong(PointEncoder.LONG_BRANCH);
            out.varLong(negative ? -mantissa : mantissa);
        } else {
            // Exact: a mantissa below 2^53 and a power of ten up to 10^22 are both doubles, and one division rounds correctly.
            double value = mantissa / POWERS_OF_TEN[decimals];
            out.varLong(PointEncoder.DOUBLE_BRANCH);
            out.fixedDouble(negative ? -value : value);
        }
        out.varLong(tags); // one block of map entries, then the end of the map
        for (int i = 0; i < tags; i++) {
            int t = order[i];
            out.string(bytes, keyStart[t], keyEnd[t]);
            out.string(bytes, valueStart[t], valueEnd[t]);
        }
        out.varLong(0);
        out.varLong(PUT);
        out.varLong(0); // rollup: null
        out.varLong(0); // histogram: null
        return new PointRecord(key, out.toByteArray(), receivedMs);
    }
}
