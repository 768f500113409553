package net.opentsdb.core;

import java.util.HashMap;
import java.util.Map;

/**
 * What an OpenTSDB 2.4.1 TSD stores for a telnet {@code put} line, decided by OpenTSDB's own code, for the tap's
 * differential fuzz tests: the steps of {@code PutDataPointRpc.importDataPoint} (the line split by
 * {@code Tags.splitString} as the TSD's {@code WordSplitter} does, {@code Tags.parseLong}, {@code Tags.parse},
 * {@code Tags.looksLikeInteger}, {@code Tags.fitsInFloat}), then those {@code TSDB.addPoint} takes before it touches
 * storage: its NaN and infinity check, the timestamp check of its private {@code checkTimestampAndTags} (the one
 * condition, transcribed) and {@code IncomingDataPoints.checkMetricAndTags} (called: this class sits in OpenTSDB's
 * package to reach it).
 */
public final class OpenTsdbPuts {
    /** What the TSD stores: the timestamp in seconds or milliseconds as written, the value's text and whether it is an integer. */
    public record Stored(String metric, long timestamp, boolean integer, String value, Map<String, String> tags) {
    }

    private OpenTsdbPuts() {
    }

    /** @throws IllegalArgumentException with OpenTSDB's message, for a line the TSD refuses */
    public static Stored telnet(String line) {
        String[] words = Tags.splitString(line, ' ');
        if (!words[0].equals("put")) {
            throw new IllegalArgumentException("not a put: " + words[0]);
        }
        // PutDataPointRpc.importDataPoint
        if (words.length < 5) {
            throw new IllegalArgumentException("not enough arguments (need least 4, got " + (words.length - 1) + ')');
        }
        String metric = words[1];
        if (metric.length() <= 0) {
            throw new IllegalArgumentException("empty metric name");
        }
        long timestamp = words[2].contains(".") ? Tags.parseLong(words[2].replace(".", "")) : Tags.parseLong(words[2]);
        if (timestamp <= 0) {
            throw new IllegalArgumentException("invalid timestamp: " + timestamp);
        }
        String value = words[3];
        if (value.length() <= 0) {
            throw new IllegalArgumentException("empty value");
        }
        HashMap<String, String> tags = new HashMap<>();
        for (int i = 4; i < words.length; i++) {
            if (!words[i].isEmpty()) {
                Tags.parse(tags, words[i]);
            }
        }
        boolean integer = Tags.looksLikeInteger(value);
        if (integer) {
            Tags.parseLong(value);
        } else if (Tags.fitsInFloat(value)) {
            float parsed = Float.parseFloat(value);
            if (Float.isNaN(parsed) || Float.isInfinite(parsed)) { // TSDB.addPoint(float)
                throw new IllegalArgumentException("value is NaN or Infinite: " + parsed);
            }
        } else {
            double parsed = Double.parseDouble(value);
            if (Double.isNaN(parsed) || Double.isInfinite(parsed)) { // TSDB.addPoint(double)
                throw new IllegalArgumentException("value is NaN or Infinite: " + parsed);
            }
        }
        // TSDB.checkTimestampAndTags
        if (timestamp < 0 || ((timestamp & Const.SECOND_MASK) != 0 && timestamp > 9999999999999L)) {
            throw new IllegalArgumentException("bad timestamp=" + timestamp);
        }
        IncomingDataPoints.checkMetricAndTags(metric, tags);
        return new Stored(metric, timestamp, integer, value, tags);
    }
}
