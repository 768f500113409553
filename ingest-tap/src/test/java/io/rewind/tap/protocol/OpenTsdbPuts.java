package io.rewind.tap.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import io.rewind.devstack.ServerClasses;
import io.rewind.schema.Point;
import io.rewind.schema.TimestampPrecision;
import java.lang.reflect.Array;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What an OpenTSDB 2.4.1 TSD stores for a put, decided by its own code running with its own libraries
 * ({@link ServerClasses}: OpenTSDB's jar and its Jackson 2.9, as the dev stack's TSDs run them), for the tap's
 * differential fuzz tests:
 * <ul>
 *   <li>a telnet line: the steps of {@code PutDataPointRpc.importDataPoint} (split by {@code Tags.splitString} as the
 *       TSD's {@code WordSplitter} does, {@code Tags.parseLong}, {@code Tags.parse});</li>
 *   <li>an HTTP body: read as {@code HttpJsonSerializer.parsePutV1} reads it ({@code JSON.parseToObject} into
 *       {@code IncomingDataPoint}s), each data point through {@code validate};</li>
 *   <li>then, for both, what {@code TSDB.addPoint} checks before storage: the value typed by {@code Tags.looksLikeInteger}
 *       and {@code Tags.fitsInFloat}, its NaN check, the timestamp check of its private {@code checkTimestampAndTags}
 *       (the one condition, transcribed) and {@code IncomingDataPoints.checkMetricAndTags}.</li>
 * </ul>
 */
final class OpenTsdbPuts {
    /** One data point: stored (what, the value as OpenTSDB parsed it), or refused with the error a TSD's {@code ?details} gives. */
    record Result(String error, String metric, long timestamp, Object value, Map<String, String> tags) {
        boolean stored() {
            return error == null;
        }

        /** Checks that the tap's point is the one OpenTSDB stores. */
        void assertStoredAs(Point point, String what) {
            boolean milliseconds = (timestamp & SECOND_MASK) != 0;
            assertThat(point.getMetric()).as("the metric of %s", what).isEqualTo(metric);
            assertThat(point.getTags()).as("the tags of %s", what).isEqualTo(tags);
            assertThat(point.getTimestampMs()).as("the timestamp of %s", what).isEqualTo(milliseconds ? timestamp : timestamp * 1000);
            assertThat(point.getPrecision()).as("the precision of %s", what)
                    .isEqualTo(milliseconds ? TimestampPrecision.MILLISECONDS : TimestampPrecision.SECONDS);
            assertThat(point.getValue()).as("the value of %s", what).isEqualTo(value);
        }
    }

    /** The body refused as a whole (its message), or each of its data points. */
    record Outcome(String badBody, List<Result> points) {
    }

    /** OpenTSDB's {@code Const.SECOND_MASK}: a timestamp with any of these bits is in milliseconds. */
    static final long SECOND_MASK = io.rewind.schema.WireTimestamps.SECOND_MASK;

    private final Method parseToObject;
    private final Class<?> point;
    private final Class<?> points;
    private final Method validate;
    private final Method metric;
    private final Method timestamp;
    private final Method value;
    private final Method tags;
    private final Method splitString;
    private final Method parseTag;
    private final Method looksLikeInteger;
    private final Method parseLong;
    private final Method fitsInFloat;
    private final Method checkMetricAndTags;

    OpenTsdbPuts() throws ReflectiveOperationException {
        ClassLoader opentsdb = ServerClasses.loader("opentsdb");
        Class<?> json = opentsdb.loadClass("net.opentsdb.utils.JSON");
        Class<?> tagsClass = opentsdb.loadClass("net.opentsdb.core.Tags");
        parseToObject = json.getMethod("parseToObject", String.class, Class.class);
        point = opentsdb.loadClass("net.opentsdb.core.IncomingDataPoint");
        points = Array.newInstance(point, 0).getClass();
        validate = point.getMethod("validate", List.class);
        metric = point.getMethod("getMetric");
        timestamp = point.getMethod("getTimestamp");
        value = point.getMethod("getValue");
        tags = point.getMethod("getTags");
        splitString = tagsClass.getMethod("splitString", String.class, char.class);
        parseTag = tagsClass.getMethod("parse", HashMap.class, String.class);
        looksLikeInteger = tagsClass.getMethod("looksLikeInteger", String.class);
        parseLong = tagsClass.getMethod("parseLong", CharSequence.class);
        fitsInFloat = tagsClass.getMethod("fitsInFloat", String.class);
        checkMetricAndTags = opentsdb.loadClass("net.opentsdb.core.IncomingDataPoints").getDeclaredMethod("checkMetricAndTags", String.class, Map.class);
        checkMetricAndTags.setAccessible(true);
        if (opentsdb.loadClass("net.opentsdb.core.Const").getField("SECOND_MASK").getLong(null) != SECOND_MASK) {
            throw new IllegalStateException("OpenTSDB's SECOND_MASK is not " + Long.toHexString(SECOND_MASK));
        }
    }

    /** A telnet {@code put} line, as {@code PutDataPointRpc.importDataPoint} reads it. */
    Result telnet(String line) throws ReflectiveOperationException {
        try {
            String[] words = (String[]) splitString.invoke(null, line, ' ');
            if (!words[0].equals("put")) {
                return refused("not a put: " + words[0]);
            }
            if (words.length < 5) {
                return refused("not enough arguments (need least 4, got " + (words.length - 1) + ')');
            }
            String metricName = words[1];
            if (metricName.isEmpty()) {
                return refused("empty metric name");
            }
            long ts = (Long) parseLong.invoke(null, words[2].contains(".") ? words[2].replace(".", "") : words[2]);
            if (ts <= 0) {
                return refused("invalid timestamp: " + ts);
            }
            String text = words[3];
            if (text.isEmpty()) {
                return refused("empty value");
            }
            HashMap<String, String> tagMap = new HashMap<>();
            for (int i = 4; i < words.length; i++) {
                if (!words[i].isEmpty()) {
                    parseTag.invoke(null, tagMap, words[i]);
                }
            }
            return addPoint(metricName, ts, text, tagMap);
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof IllegalArgumentException iae) {
                return refused(iae.getMessage());
            }
            throw e;
        }
    }

    /** The body of an HTTP put; null for a body whose content is only white space (a TSD fails on it with an internal error). */
    Outcome http(byte[] body) throws ReflectiveOperationException {
        String content = new String(body, StandardCharsets.UTF_8).trim();
        if (content.isEmpty()) {
            return null;
        }
        char first = content.charAt(0);
        if (first != '{' && first != '[') {
            return new Outcome("The JSON must start as an object or an array", List.of());
        }
        Object parsed;
        try {
            parsed = parseToObject.invoke(null, content, first == '{' ? point : points);
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof IllegalArgumentException) {
                return new Outcome("Unable to parse the given JSON", List.of());
            }
            throw e;
        }
        if (first == '[' && Array.getLength(parsed) == 0) {
            return new Outcome("No datapoints found in content", List.of()); // PutDataPointRpc.processDataPoint
        }
        List<Result> results = new ArrayList<>();
        if (first == '{') {
            results.add(dataPoint(parsed));
        } else {
            for (int i = 0; i < Array.getLength(parsed); i++) {
                results.add(dataPoint(Array.get(parsed, i)));
            }
        }
        return new Outcome(null, results);
    }

    /** One data point of a body, as {@code PutDataPointRpc.processDataPoint} takes it. */
    @SuppressWarnings("unchecked")
    private Result dataPoint(Object dp) throws ReflectiveOperationException {
        if (dp == null) {
            return refused("Unexpected null datapoint encountered in set.");
        }
        List<Map<String, Object>> details = new ArrayList<>();
        if (!(Boolean) validate.invoke(dp, details)) {
            return refused(String.valueOf(details.get(0).get("error")));
        }
        return addPoint((String) metric.invoke(dp), (Long) timestamp.invoke(dp), (String) value.invoke(dp),
                (Map<String, String>) tags.invoke(dp));
    }

    /** What {@code TSDB.addPoint} does with a data point before it touches storage. */
    private Result addPoint(String metricName, long ts, String text, Map<String, String> tagMap) throws ReflectiveOperationException {
        Object parsed;
        try {
            if ((Boolean) looksLikeInteger.invoke(null, text)) {
                parsed = parseLong.invoke(null, text);
            } else {
                boolean asFloat = (Boolean) fitsInFloat.invoke(null, text);
                double d = asFloat ? Float.parseFloat(text) : Double.parseDouble(text);
                if (Double.isNaN(d) || Double.isInfinite(d)) {
                    return refused("value is NaN or Infinite: " + (asFloat ? String.valueOf((float) d) : String.valueOf(d))
                            + " for metric=" + metricName + " timestamp=" + ts);
                }
                parsed = Double.parseDouble(text); // the tap keeps the value as written, not as the 4-byte float a TSD may store
            }
        } catch (NumberFormatException e) {
            return refused("Unable to parse value to a number");
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof NumberFormatException) {
                return refused("Unable to parse value to a number");
            }
            throw e;
        }
        if (ts < 0 || ((ts & SECOND_MASK) != 0 && ts > 9999999999999L)) {
            return refused("bad timestamp=" + ts); // the TSD's message goes on with the value's bytes; the test compares its start
        }
        try {
            checkMetricAndTags.invoke(null, metricName, tagMap);
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof IllegalArgumentException iae) {
                return refused(iae.getMessage());
            }
            throw e;
        }
        return new Result(null, metricName, ts, parsed, Map.copyOf(tagMap));
    }

    private static Result refused(String error) {
        return new Result(error, null, 0, null, null);
    }
}
