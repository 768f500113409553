package io.rewind.tap.protocol;

import io.rewind.tap.record.AvroBody;
import io.rewind.tap.record.PointEncoder;
import io.rewind.tap.record.PointRecord;
import java.util.Arrays;

/**
 * The telnet line nearly every collector sends, read straight from its bytes into its Kafka record in one pass, without a
 * {@code String} per line or word, a tag map or an Avro record: {@code put <metric> <timestamp> <value> <k=v> ...}, in
 * ASCII, one space between words, a timestamp of 1 to 13 digits, an integer of at most 18 digits or a decimal of at most
 * 15 digits without exponent, 1 to {@code max.tags} tags of distinct keys, every name of OpenTSDB's ASCII characters.
 *
 * <p>Any other line gives null, and the caller reads it with {@link TelnetPutParser}, which knows every rule and every
 * answer of OpenTSDB: this path only takes lines that parser accepts, and writes the record its point would become (the
 * same series key; the same Avro record, its tags in key order). {@code TelnetPutFastPathTest} checks both on every kind of
 * line.
 */
public final class TelnetPutFastPath {
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

    private final int maxTags;
    private final byte[] header;
    private final ThreadLocal<Scratch> scratch;

    /**
     * @param maxTags OpenTSDB's {@code tsd.storage.max_tags}
     * @param header  the bytes every record value starts with before its Avro body (the wire format's)
     */
    public TelnetPutFastPath(int maxTags, byte[] header) {
        this.maxTags = maxTags;
        this.header = header.clone();
        this.scratch = ThreadLocal.withInitial(() -> new Scratch(maxTags));
    }

    /** Where a line's words are: reused by each thread that reads lines. */
    private static final class Scratch {
        final int[] tagStart;
        final int[] tagEquals;
        final int[] tagEnd;
        final int[] order;
        final AvroBody body = new AvroBody();

        Scratch(int maxTags) {
            tagStart = new int[maxTags];
            tagEquals = new int[maxTags];
            tagEnd = new int[maxTags];
            order = new int[maxTags];
        }
    }

    /** The record of the line's point, or null when the line is not one this path reads (then {@link TelnetPutParser} does). */
    public PointRecord encode(byte[] line, int length, long receivedMs) {
        if (length < 12 || line[0] != 'p' || line[1] != 'u' || line[2] != 't' || line[3] != ' ') {
            return null;
        }
        Scratch s = scratch.get();
        // The metric.
        int metricStart = 4;
        int at = nameEnd(line, metricStart, length);
        if (at == metricStart || at >= length || line[at] != ' ') {
            return null;
        }
        int metricEnd = at;
        // The timestamp: digits only, seconds up to 10 of them, milliseconds past that.
        int tsStart = ++at;
        long timestamp = 0;
        while (at < length && line[at] >= '0' && line[at] <= '9') {
            timestamp = timestamp * 10 + (line[at++] - '0');
        }
        if (at == tsStart || at - tsStart > 13 || at >= length || line[at] != ' ' || timestamp == 0) {
            return null;
        }
        // The value.
        int valueStart = ++at;
        boolean negative = at < length && line[at] == '-';
        if (negative) {
            at++;
        }
        long mantissa = 0;
        int digits = 0;
        int point = -1;
        for (; at < length && line[at] != ' '; at++) {
            byte b = line[at];
            if (b >= '0' && b <= '9') {
                mantissa = mantissa * 10 + (b - '0');
                digits++;
            } else if (b == '.' && point < 0) {
                point = at;
            } else {
                return null; // a sign elsewhere, an exponent, a letter: the full parser's
            }
        }
        if (digits == 0 || at >= length || at == valueStart || (point < 0 ? digits > 18 : digits > 15)) {
            return null;
        }
        int valueEnd = at;
        // The tags: key=value, names of OpenTSDB's ASCII characters, distinct keys.
        int tags = 0;
        while (at < length) {
            if (line[at] != ' ' || tags == maxTags) {
                return null;
            }
            int start = ++at;
            int equals = nameEnd(line, start, length);
            if (equals == start || equals >= length || line[equals] != '=') {
                return null;
            }
            int end = nameEnd(line, equals + 1, length);
            if (end == equals + 1 || (end < length && line[end] != ' ')) {
                return null;
            }
            for (int t = 0; t < tags; t++) {
                if (Arrays.equals(line, s.tagStart[t], s.tagEquals[t], line, start, equals)) {
                    return null; // the same key twice: OpenTSDB's own rules decide
                }
            }
            s.tagStart[tags] = start;
            s.tagEquals[tags] = equals;
            s.tagEnd[tags] = end;
            // Insertion sort by key bytes, as the series key orders them.
            int slot = tags;
            while (slot > 0 && Arrays.compareUnsigned(line, s.tagStart[s.order[slot - 1]], s.tagEquals[s.order[slot - 1]], line, start, equals) > 0) {
                s.order[slot] = s.order[slot - 1];
                slot--;
            }
            s.order[slot] = tags++;
            at = end;
        }
        if (tags == 0) {
            return null;
        }
        boolean millis = PointRules.isMilliseconds(timestamp);
        // The series key: metric, then NUL key NUL value per tag in key order.
        int keyLength = metricEnd - metricStart;
        for (int t = 0; t < tags; t++) {
            keyLength += 2 + s.tagEnd[t] - s.tagStart[t] - 1;
        }
        byte[] key = new byte[keyLength];
        int k = metricEnd - metricStart;
        System.arraycopy(line, metricStart, key, 0, k);
        for (int i = 0; i < tags; i++) {
            int t = s.order[i];
            key[k++] = 0;
            System.arraycopy(line, s.tagStart[t], key, k, s.tagEquals[t] - s.tagStart[t]);
            k += s.tagEquals[t] - s.tagStart[t];
            key[k++] = 0;
            System.arraycopy(line, s.tagEquals[t] + 1, key, k, s.tagEnd[t] - s.tagEquals[t] - 1);
            k += s.tagEnd[t] - s.tagEquals[t] - 1;
        }
        // The Avro body of the Point record, field by field in the schema's order.
        AvroBody body = s.body.start(header);
        body.string(line, metricStart, metricEnd);
        body.varLong(millis ? timestamp : timestamp * 1000);
        body.varLong(millis ? MILLISECONDS : SECONDS);
        if (point < 0) {
            body.varLong(PointEncoder.LONG_BRANCH);
            body.varLong(negative ? -mantissa : mantissa);
        } else {
            // Exact: a mantissa below 2^53 and a power of ten up to 10^22 are both doubles, and one division rounds correctly.
            double value = mantissa / POWERS_OF_TEN[valueEnd - point - 1];
            body.varLong(PointEncoder.DOUBLE_BRANCH);
            body.fixedDouble(negative ? -value : value);
        }
        body.varLong(tags); // one block of map entries, then the end of the map
        for (int i = 0; i < tags; i++) {
            int t = s.order[i];
            body.string(line, s.tagStart[t], s.tagEquals[t]);
            body.string(line, s.tagEquals[t] + 1, s.tagEnd[t]);
        }
        body.varLong(0);
        body.varLong(PUT);
        body.varLong(0); // rollup: null
        body.varLong(0); // histogram: null
        return new PointRecord(key, body.toByteArray(), receivedMs);
    }

    /** Where a name of OpenTSDB's ASCII characters ({@code a-z A-Z 0-9 - _ . /}) that starts at {@code from} ends. */
    private static int nameEnd(byte[] line, int from, int length) {
        int at = from;
        while (at < length && PointRules.isAsciiNameChar(line[at])) {
            at++;
        }
        return at;
    }
}
