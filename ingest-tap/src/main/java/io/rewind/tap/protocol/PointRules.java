package io.rewind.tap.protocol;

import io.rewind.schema.WireTimestamps;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * OpenTSDB 2.4's rules for a data point, with its own error texts, so the tap accepts exactly what a
 * TSD stores and answers exactly what a TSD answers. Each rule fails with {@link Rejection}; its
 * message is what OpenTSDB puts after {@code put: illegal argument: } or {@code put: invalid value: }.
 * Tags are kept in a {@link HashMap}, as OpenTSDB keeps them, because its messages print the map.
 */
public final class PointRules {
    private final int maxTags;

    /** @param maxTags OpenTSDB's {@code tsd.storage.max_tags} (default 8) */
    public PointRules(int maxTags) {
        this.maxTags = maxTags;
    }

    public int maxTags() {
        return maxTags;
    }

    /** OpenTSDB's {@code Tags.parseLong}: digits with an optional sign, at most 19 digits, no overflow. */
    public static long parseLong(CharSequence s) {
        int n = s.length();
        if (n == 0) {
            throw Rejection.invalidValue("Empty string");
        }
        char c = s.charAt(0);
        int i = 1;
        if (c == '+' || c == '-') {
            if (n == 1) {
                throw Rejection.invalidValue("Just a sign, no value: " + s);
            }
            if (n > 20) {
                throw Rejection.invalidValue("Value too long: " + s);
            }
            c = s.charAt(1);
            i = 2;
        } else if (n > 19) {
            throw Rejection.invalidValue("Value too long: " + s);
        }
        long v = 0;
        while (true) {
            if ('0' <= c && c <= '9') {
                v -= c - '0';
            } else {
                throw Rejection.invalidValue("Invalid character '" + c + "' in " + s);
            }
            if (i == n) {
                break;
            }
            v *= 10;
            c = s.charAt(i++);
        }
        if (v > 0) {
            throw Rejection.invalidValue("Overflow in " + s);
        }
        if (s.charAt(0) == '-') {
            return v;
        }
        if (v == Long.MIN_VALUE) {
            throw Rejection.invalidValue("Overflow in " + s);
        }
        return -v;
    }

    /** A telnet timestamp: a dot anywhere is removed (milliseconds written as {@code 1700000000.123}). */
    public static long parseTelnetTimestamp(String word) {
        return word.indexOf('.') >= 0 ? parseLong(word.replace(".", "")) : parseLong(word);
    }

    /** OpenTSDB's test for an integer value: no {@code .}, {@code e} or {@code E}. */
    public static boolean looksLikeInteger(String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '.' || c == 'e' || c == 'E') {
                return false;
            }
        }
        return true;
    }

    /**
     * The value as OpenTSDB reads it: a {@link Long} when it looks like an integer, otherwise a
     * {@link Double} (OpenTSDB stores it as a float when the float is the same number, as a double
     * otherwise; the double is exact for both). Fails with OpenTSDB's number-format texts.
     */
    public static Number parseValue(String value) {
        if (looksLikeInteger(value)) {
            return parseLong(value);
        }
        try {
            return Double.parseDouble(value);
        } catch (NumberFormatException e) {
            throw Rejection.invalidValue(e.getMessage());
        }
    }

    /** OpenTSDB's {@code Tags.parse}: one {@code key=value}; the same pair twice is fine, another value for a key is not. */
    public static void parseTag(HashMap<String, String> tags, String tag) {
        int eq = tag.indexOf('=');
        if (eq <= 0 || eq == tag.length() - 1 || tag.indexOf('=', eq + 1) >= 0) {
            throw Rejection.illegalArgument(Rejection.Reason.TAGS, "invalid tag: " + tag);
        }
        String key = tag.substring(0, eq);
        String value = tag.substring(eq + 1);
        String existing = tags.get(key);
        if (value.equals(existing)) {
            return;
        }
        if (existing != null) {
            throw Rejection.illegalArgument(Rejection.Reason.TAGS, "duplicate tag: " + tag + ", tags=" + tags);
        }
        tags.put(key, value);
    }

    /** A value that is not a number OpenTSDB can store (NaN or infinite) fails as it does in {@code TSDB.addPoint}. */
    public static void checkFinite(Number value, String metric, long timestamp) {
        if (value instanceof Double d && (d.isNaN() || d.isInfinite())) {
            // OpenTSDB formats the value as the float or the double it tried to store; both print the same.
            throw Rejection.illegalArgument(Rejection.Reason.VALUE,
                    "value is NaN or Infinite: " + d + " for metric=" + metric + " timestamp=" + timestamp);
        }
    }

    /**
     * OpenTSDB's {@code checkTimestampAndTags} then {@code checkMetricAndTags}: the timestamp's range,
     * the number of tags, and the characters of every name. {@code value} is only for the message.
     */
    public void checkTimestampAndTags(String metric, long timestamp, Number value, Map<String, String> tags) {
        if (timestamp < 0 || WireTimestamps.isMilliseconds(timestamp) && timestamp > WireTimestamps.MAX_MS_TIMESTAMP) {
            byte[] bytes = storedBytes(value);
            int flags = value instanceof Long ? bytes.length - 1 : (bytes.length == 4 ? 11 : 15);
            throw Rejection.illegalArgument(Rejection.Reason.TIMESTAMP, (timestamp < 0 ? "negative " : "bad") + " timestamp=" + timestamp
                    + " when trying to add value=" + Arrays.toString(bytes) + '/' + flags + " to metric=" + metric + ", tags=" + tags);
        }
        checkMetricAndTags(metric, tags);
    }

    /** OpenTSDB's {@code IncomingDataPoints.checkMetricAndTags}. */
    public void checkMetricAndTags(String metric, Map<String, String> tags) {
        if (tags.isEmpty()) {
            throw Rejection.illegalArgument(Rejection.Reason.TAGS, "Need at least one tag (metric=" + metric + ", tags=" + tags + ')');
        }
        if (tags.size() > maxTags) {
            throw Rejection.illegalArgument(Rejection.Reason.TAGS,
                    "Too many tags: " + tags.size() + " maximum allowed: " + maxTags + ", tags: " + tags);
        }
        validateString(Rejection.Reason.METRIC, "metric name", metric);
        for (Map.Entry<String, String> tag : tags.entrySet()) {
            // The messages name the other half of the tag: built only for a name that fails, not for every point.
            if (!isValidString(tag.getKey())) {
                throw invalidString(Rejection.Reason.TAGS, "tag name with value [" + tag.getValue() + "]", tag.getKey());
            }
            if (!isValidString(tag.getValue())) {
                throw invalidString(Rejection.Reason.TAGS, "tag value with key [" + tag.getKey() + "]", tag.getValue());
            }
        }
    }

    /** OpenTSDB's {@code Tags.validateString}: {@code a-z A-Z 0-9 - _ . /} and Unicode letters. */
    public static void validateString(Rejection.Reason reason, String what, String s) {
        if (!isValidString(s)) {
            throw invalidString(reason, what, s);
        }
    }

    private static boolean isValidString(String s) {
        return s != null && !s.isEmpty() && illegalChar(s) < 0;
    }

    /** Where the first character OpenTSDB refuses in a name is, or -1. */
    private static int illegalChar(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!(isAsciiNameChar(c) || Character.isLetter(c))) {
                return i;
            }
        }
        return -1;
    }

    /** The ASCII characters OpenTSDB takes in a name: {@code a-z A-Z 0-9 - _ . /} (it takes Unicode letters too). */
    static boolean isAsciiNameChar(int c) {
        return c >= 0 && c < ASCII_NAME_CHARS.length && ASCII_NAME_CHARS[c];
    }

    /** {@link #isAsciiNameChar} as a table, read for every byte of every name the telnet fast path takes. */
    private static final boolean[] ASCII_NAME_CHARS = new boolean[128];

    static {
        for (int c = 0; c < ASCII_NAME_CHARS.length; c++) {
            ASCII_NAME_CHARS[c] = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '/';
        }
    }

    /** OpenTSDB's text for a name that {@link #isValidString} refuses. */
    private static Rejection invalidString(Rejection.Reason reason, String what, String s) {
        if (s == null) {
            return Rejection.illegalArgument(reason, "Invalid " + what + ": null");
        }
        if (s.isEmpty()) {
            return Rejection.illegalArgument(reason, "Invalid " + what + ": empty string");
        }
        return Rejection.illegalArgument(reason, "Invalid " + what + " (\"" + s + "\"): illegal character: " + s.charAt(illegalChar(s)));
    }

    /** Whether OpenTSDB reads the timestamp as milliseconds. */
    public static boolean isMilliseconds(long timestamp) {
        return WireTimestamps.isMilliseconds(timestamp);
    }

    /** The bytes OpenTSDB would store for the value: the shortest of 1, 2, 4, 8 bytes for an integer; a float or a double. */
    static byte[] storedBytes(Number value) {
        if (value instanceof Long l) {
            long v = l;
            if (v >= Byte.MIN_VALUE && v <= Byte.MAX_VALUE) {
                return new byte[] {(byte) v};
            }
            if (v >= Short.MIN_VALUE && v <= Short.MAX_VALUE) {
                return ByteBuffer.allocate(2).putShort((short) v).array();
            }
            if (v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE) {
                return ByteBuffer.allocate(4).putInt((int) v).array();
            }
            return ByteBuffer.allocate(8).putLong(v).array();
        }
        double d = value.doubleValue();
        if ((double) (float) d == d) {
            return ByteBuffer.allocate(4).putInt(Float.floatToRawIntBits((float) d)).array();
        }
        return ByteBuffer.allocate(8).putLong(Double.doubleToRawLongBits(d)).array();
    }
}
