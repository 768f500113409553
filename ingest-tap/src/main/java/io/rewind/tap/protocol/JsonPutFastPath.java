package io.rewind.tap.protocol;

import io.rewind.tap.record.PointRecord;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code /api/put} body nearly every collector posts, read straight from its bytes into the Kafka records of its points
 * in one pass, without Jackson's tokens, a {@code String} per name, a tag map or an Avro record: an array of objects (or one
 * object), each with exactly the fields {@code metric}, {@code timestamp}, {@code value} and {@code tags} in any order, the
 * names JSON strings of OpenTSDB's ASCII characters without escapes, the timestamp a JSON integer, the value a JSON number
 * without exponent, as {@link FastPut} takes them.
 *
 * <p>Any other body gives null, and the caller reads the whole body with {@link JsonPutParser}, which knows every rule and
 * every answer of OpenTSDB: this path only takes bodies whose every point that parser accepts, and writes the records those
 * points would become (the same series keys; the same Avro records, their tags in key order). {@code JsonPutFastPathTest}
 * and the JSON fuzz test check both.
 */
public final class JsonPutFastPath {
    private static final byte[] METRIC = {'m', 'e', 't', 'r', 'i', 'c'};
    private static final byte[] TIMESTAMP = {'t', 'i', 'm', 'e', 's', 't', 'a', 'm', 'p'};
    private static final byte[] VALUE = {'v', 'a', 'l', 'u', 'e'};
    private static final byte[] TAGS = {'t', 'a', 'g', 's'};

    private final ThreadLocal<FastPut> points;

    /**
     * @param maxTags OpenTSDB's {@code tsd.storage.max_tags}
     * @param header  the bytes every record value starts with before its Avro body (the wire format's)
     */
    public JsonPutFastPath(int maxTags, byte[] header) {
        this.points = FastPut.perThread(maxTags, header);
    }

    /** The records of the body's points in its first {@code length} bytes, or null when this path does not read that body. */
    public List<PointRecord> encode(byte[] body, int length, long receivedMs) {
        Reader in = new Reader(body, length, points.get());
        List<PointRecord> records = new ArrayList<>();
        int at = in.space(0);
        if (at < length && body[at] == '[') {
            at = in.space(at + 1);
            while (true) {
                at = in.point(at, receivedMs, records);
                if (at < 0) {
                    return null;
                }
                at = in.space(at);
                if (at < length && body[at] == ',') {
                    at = in.space(at + 1);
                } else if (at < length && body[at] == ']') {
                    at++;
                    break;
                } else {
                    return null;
                }
            }
        } else {
            at = in.point(at, receivedMs, records);
            if (at < 0) {
                return null;
            }
        }
        return in.space(at) == length ? records : null;
    }

    /** One body's bytes, read from an offset to the next: each method returns where it stopped, or -1 to give up. */
    private record Reader(byte[] b, int length, FastPut point) {
        int space(int at) {
            while (at < length && (b[at] == ' ' || b[at] == '\n' || b[at] == '\r' || b[at] == '\t')) {
                at++;
            }
            return at;
        }

        /** One data point's object, its record added to {@code records}. */
        int point(int at, long receivedMs, List<PointRecord> records) {
            if (at >= length || b[at] != '{') {
                return -1;
            }
            point.start();
            int metricStart = -1;
            int metricEnd = -1;
            long timestamp = -1;
            boolean value = false;
            boolean tags = false;
            at = space(at + 1);
            while (true) {
                // A field's name, then its value.
                int nameStart = at + 1;
                int nameEnd = stringEnd(at);
                if (nameEnd < 0) {
                    return -1;
                }
                at = colon(nameEnd + 1);
                if (at < 0) {
                    return -1;
                }
                if (is(nameStart, nameEnd, METRIC) && metricStart < 0) {
                    metricEnd = stringEnd(at);
                    metricStart = at + 1;
                    if (metricEnd <= metricStart) {
                        return -1;
                    }
                    at = metricEnd + 1;
                } else if (is(nameStart, nameEnd, TIMESTAMP) && timestamp < 0) {
                    int end = numberEnd(at);
                    timestamp = end < 0 ? -1 : FastPut.timestamp(b, at, end);
                    if (timestamp < 0) {
                        return -1;
                    }
                    at = end;
                } else if (is(nameStart, nameEnd, VALUE) && !value) {
                    int end = numberEnd(at);
                    if (end < 0 || !point.value(b, at, end)) {
                        return -1;
                    }
                    value = true;
                    at = end;
                } else if (is(nameStart, nameEnd, TAGS) && !tags) {
                    at = tags(at);
                    if (at < 0) {
                        return -1;
                    }
                    tags = true;
                } else {
                    return -1; // another field, or one twice: the full parser's
                }
                at = space(at);
                if (at < length && b[at] == ',') {
                    at = space(at + 1);
                } else if (at < length && b[at] == '}') {
                    break;
                } else {
                    return -1;
                }
            }
            if (metricStart < 0 || timestamp < 0 || !value || !tags) {
                return -1;
            }
            records.add(point.record(b, metricStart, metricEnd, timestamp, receivedMs));
            return at + 1;
        }

        /** The tags' object: each key and value a name. */
        private int tags(int at) {
            if (at >= length || b[at] != '{') {
                return -1;
            }
            at = space(at + 1);
            while (true) {
                int keyEnd = stringEnd(at);
                if (keyEnd <= at + 1) {
                    return -1;
                }
                int keyStart = at + 1;
                at = colon(keyEnd + 1);
                if (at < 0) {
                    return -1;
                }
                int valueEnd = stringEnd(at);
                if (valueEnd <= at + 1 || !point.tag(b, keyStart, keyEnd, at + 1, valueEnd)) {
                    return -1;
                }
                at = space(valueEnd + 1);
                if (at < length && b[at] == ',') {
                    at = space(at + 1);
                } else if (at < length && b[at] == '}') {
                    return at + 1;
                } else {
                    return -1;
                }
            }
        }

        /** Where the string that starts with its quote at {@code at} ends (its closing quote): a name of OpenTSDB's ASCII characters. */
        private int stringEnd(int at) {
            if (at >= length || b[at] != '"') {
                return -1;
            }
            int end = FastPut.nameEnd(b, at + 1, length);
            return end < length && b[end] == '"' ? end : -1;
        }

        /** Past the ':' after a field's name, and the space around it. */
        private int colon(int at) {
            at = space(at);
            return at < length && b[at] == ':' ? space(at + 1) : -1;
        }

        /**
         * Where the JSON number at {@code at} ends: an optional '-', then digits without a leading zero, then optionally '.'
         * and digits; no exponent.
         */
        private int numberEnd(int at) {
            int i = at;
            if (i < length && b[i] == '-') {
                i++;
            }
            int digits = i;
            while (i < length && b[i] >= '0' && b[i] <= '9') {
                i++;
            }
            if (i == digits || (b[digits] == '0' && i - digits > 1)) {
                return -1;
            }
            if (i < length && b[i] == '.') {
                int fraction = ++i;
                while (i < length && b[i] >= '0' && b[i] <= '9') {
                    i++;
                }
                if (i == fraction) {
                    return -1;
                }
            }
            return i < length && (b[i] == 'e' || b[i] == 'E') ? -1 : i;
        }

        private boolean is(int start, int end, byte[] name) {
            return java.util.Arrays.equals(b, start, end, name, 0, name.length);
        }
    }
}
