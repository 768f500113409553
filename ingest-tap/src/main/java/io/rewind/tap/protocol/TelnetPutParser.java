package io.rewind.tap.protocol;

import io.rewind.schema.Histogram;
import io.rewind.schema.HistogramBucket;
import io.rewind.schema.Point;
import io.rewind.schema.PointKind;
import io.rewind.schema.Rollup;
import io.rewind.schema.TimestampPrecision;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;

/**
 * Reads one telnet line the way a TSD does ({@code PutDataPointRpc}, {@code RollupDataPointRpc},
 * {@code HistogramDataPointRpc}): words split on single spaces, checks in OpenTSDB's order, failing
 * with OpenTSDB's text. Lines that are not writes ({@code version}, {@code stats}, unknown commands)
 * are not points and give null.
 */
public final class TelnetPutParser {
    private final PointRules rules;

    public TelnetPutParser(PointRules rules) {
        this.rules = rules;
    }

    /** The write command of a line ({@code put}, {@code rollup}, {@code histogram}), or null when it is not a write. */
    public static String writeCommand(String line) {
        int space = line.indexOf(' ');
        String command = space < 0 ? line : line.substring(0, space);
        return switch (command) {
            case "put", "rollup", "histogram" -> command;
            default -> null;
        };
    }

    /**
     * The point of a write line, or null when the line is not a write.
     *
     * @param line       the line without its end ({@code \n} or {@code \r\n}), decoded as ISO-8859-1
     * @throws Rejection what OpenTSDB would answer; {@link Rejection#telnetLine} gives the reply
     */
    public Point parse(String line) {
        String command = writeCommand(line);
        if (command == null) {
            return null;
        }
        String[] words = split(line, ' ');
        return switch (command) {
            case "put" -> put(words);
            case "rollup" -> rollup(words);
            default -> histogram(words);
        };
    }

    private Point put(String[] words) {
        if (words.length < 5) {
            throw Rejection.illegalArgument(Rejection.Reason.ARGUMENTS, "not enough arguments (need least 4, got " + (words.length - 1) + ')');
        }
        return value(words, 1, PointKind.PUT, null);
    }

    private Point rollup(String[] words) {
        if (words.length < 6) {
            throw Rejection.illegalArgument(Rejection.Reason.ARGUMENTS, "not enough arguments (need least 7, got " + (words.length - 1) + ')');
        }
        String intervalAgg = words[1];
        if (intervalAgg.isEmpty()) {
            throw Rejection.illegalArgument(Rejection.Reason.ROLLUP, "Missing interval or aggregator");
        }
        String interval = null;
        String temporal = null;
        String spatial = null;
        String[] parts = intervalAgg.split(":");
        int dash = parts[0].indexOf('-');
        if (dash > -1) {
            interval = parts[0].substring(0, dash);
            temporal = parts[0].substring(dash + 1);
        } else if (parts.length == 1) {
            spatial = parts[0];
        }
        if (parts.length > 1) {
            spatial = parts[1];
        }
        if (spatial != null && temporal == null) {
            temporal = spatial;
        }
        Rollup rollup = Rollup.newBuilder().setInterval(interval == null ? "" : interval).setAggregator(temporal)
                .setGroupByAggregator(spatial).build();
        return value(words, 2, PointKind.ROLLUP, rollup);
    }

    /** metric, timestamp, value, tags from {@code words[first]} on, for put and rollup. */
    private Point value(String[] words, int first, PointKind kind, Rollup rollup) {
        String metric = words[first];
        if (metric.isEmpty()) {
            throw Rejection.illegalArgument(Rejection.Reason.METRIC, "empty metric name");
        }
        long timestamp = timestamp(words[first + 1]);
        String text = words[first + 2];
        if (text.isEmpty()) {
            throw Rejection.illegalArgument(Rejection.Reason.VALUE, "empty value");
        }
        HashMap<String, String> tags = tags(words, first + 3);
        Number value = PointRules.parseValue(text);
        PointRules.checkFinite(value, metric, timestamp);
        rules.checkTimestampAndTags(metric, timestamp, value, tags);
        return point(kind, metric, timestamp, tags).setValue(value).setRollup(rollup).build();
    }

    private Point histogram(String[] words) {
        if (words.length < 5) {
            throw Rejection.illegalArgument(Rejection.Reason.ARGUMENTS, "not enough arguments (need least 5, got " + (words.length - 1) + ')');
        }
        String metric = words[1];
        if (metric.isEmpty()) {
            throw Rejection.illegalArgument(Rejection.Reason.METRIC, "empty metric name");
        }
        long timestamp = timestamp(words[2]);
        Integer id = null;
        try {
            id = Integer.parseInt(words[3]);
        } catch (NumberFormatException e) {
            // no codec id: the value is OpenTSDB's simple telnet histogram
        }
        String value = id != null ? words[4] : words[3];
        if (value.isEmpty()) {
            throw Rejection.illegalArgument(Rejection.Reason.HISTOGRAM, "empty histogram value");
        }
        HashMap<String, String> tags = tags(words, id != null ? 5 : 4);
        Histogram histogram = id != null ? encoded(id, value) : simple(value);
        rules.checkTimestampAndTags(metric, timestamp, 0L, tags);
        return point(PointKind.HISTOGRAM, metric, timestamp, tags).setHistogram(histogram).build();
    }

    private static Histogram encoded(int id, String base64) {
        try {
            return Histogram.newBuilder().setId(id).setEncoded(ByteBuffer.wrap(Base64.getDecoder().decode(base64))).build();
        } catch (IllegalArgumentException e) {
            throw Rejection.illegalArgument(Rejection.Reason.HISTOGRAM, "Invalid histogram value: " + e.getMessage());
        }
    }

    /** {@code lower,upper=count:...:u=underflow:o=overflow}, as OpenTSDB's {@code parseTelnet} reads it. */
    private static Histogram simple(String text) {
        Histogram.Builder histogram = Histogram.newBuilder();
        List<HistogramBucket> buckets = new ArrayList<>();
        try {
            for (String bucket : split(text, ':')) {
                String[] kv = split(bucket, '=');
                if (kv.length != 2) {
                    throw Rejection.illegalArgument(Rejection.Reason.HISTOGRAM, "Improperly formatted bucket: " + bucket);
                }
                String key = kv[0].toLowerCase();
                if (key.equals("u")) {
                    histogram.setUnderflow(Long.parseLong(kv[1]));
                } else if (key.equals("o")) {
                    histogram.setOverflow(Long.parseLong(kv[1]));
                } else {
                    String[] bounds = split(key, ',');
                    if (bounds.length != 2) {
                        throw Rejection.illegalArgument(Rejection.Reason.HISTOGRAM, "Improperly formatted bounds: " + bucket);
                    }
                    buckets.add(new HistogramBucket((double) Float.parseFloat(bounds[0]), (double) Float.parseFloat(bounds[1]),
                            Long.parseLong(kv[1])));
                }
            }
        } catch (NumberFormatException e) {
            throw Rejection.invalidValue(e.getMessage());
        }
        return histogram.setBuckets(buckets).build();
    }

    private static long timestamp(String word) {
        long timestamp = PointRules.parseTelnetTimestamp(word);
        if (timestamp <= 0) {
            throw Rejection.illegalArgument(Rejection.Reason.TIMESTAMP, "invalid timestamp: " + timestamp);
        }
        return timestamp;
    }

    private static HashMap<String, String> tags(String[] words, int from) {
        HashMap<String, String> tags = new HashMap<>();
        for (int i = from; i < words.length; i++) {
            if (!words[i].isEmpty()) {
                PointRules.parseTag(tags, words[i]);
            }
        }
        return tags;
    }

    /** The point's common fields; it keeps {@code tags}, which must be the caller's own fresh map. */
    static Point.Builder point(PointKind kind, String metric, long timestamp, HashMap<String, String> tags) {
        boolean ms = PointRules.isMilliseconds(timestamp);
        return Point.newBuilder().setKind(kind).setMetric(metric)
                .setTimestampMs(ms ? timestamp : timestamp * 1000)
                .setPrecision(ms ? TimestampPrecision.MILLISECONDS : TimestampPrecision.SECONDS)
                .setTags(tags);
    }

    /** OpenTSDB's {@code Tags.splitString}: every separator splits, so two spaces make an empty word. */
    static String[] split(String s, char separator) {
        int count = 1;
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) == separator) {
                count++;
            }
        }
        String[] out = new String[count];
        int start = 0;
        int n = 0;
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) == separator) {
                out[n++] = s.substring(start, i);
                start = i + 1;
            }
        }
        out[n] = s.substring(start);
        return out;
    }
}
