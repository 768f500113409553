package io.rewind.tap.protocol;

import io.rewind.tap.record.PointRecord;

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
    private final ThreadLocal<FastPut> points;

    /**
     * @param maxTags OpenTSDB's {@code tsd.storage.max_tags}
     * @param header  the bytes every record value starts with before its Avro body (the wire format's)
     */
    public TelnetPutFastPath(int maxTags, byte[] header) {
        this.points = FastPut.perThread(maxTags, header);
    }

    /** The record of the line's point, or null when the line is not one this path reads (then {@link TelnetPutParser} does). */
    public PointRecord encode(byte[] line, int length, long receivedMs) {
        if (length < 12 || line[0] != 'p' || line[1] != 'u' || line[2] != 't' || line[3] != ' ') {
            return null;
        }
        FastPut point = points.get().start();
        // The metric.
        int metricStart = 4;
        int metricEnd = FastPut.nameEnd(line, metricStart, length);
        if (metricEnd == metricStart || metricEnd >= length || line[metricEnd] != ' ') {
            return null;
        }
        // The timestamp, then the value, each up to the next space.
        int tsStart = metricEnd + 1;
        int tsEnd = wordEnd(line, tsStart, length);
        long timestamp = FastPut.timestamp(line, tsStart, tsEnd);
        if (timestamp < 0 || tsEnd >= length) {
            return null;
        }
        int valueEnd = wordEnd(line, tsEnd + 1, length);
        if (!point.value(line, tsEnd + 1, valueEnd) || valueEnd >= length) {
            return null;
        }
        // The tags: key=value, names of OpenTSDB's ASCII characters, distinct keys.
        int at = valueEnd;
        while (at < length) {
            if (line[at] != ' ') {
                return null;
            }
            int start = ++at;
            int equals = FastPut.nameEnd(line, start, length);
            if (equals == start || equals >= length || line[equals] != '=') {
                return null;
            }
            int end = FastPut.nameEnd(line, equals + 1, length);
            if (end == equals + 1 || (end < length && line[end] != ' ') || !point.tag(line, start, equals, equals + 1, end)) {
                return null;
            }
            at = end;
        }
        return point.record(line, metricStart, metricEnd, timestamp, receivedMs);
    }

    /** Where the word that starts at {@code from} ends: at the next space or the line's end. */
    private static int wordEnd(byte[] line, int from, int length) {
        int at = from;
        while (at < length && line[at] != ' ') {
            at++;
        }
        return at;
    }
}
