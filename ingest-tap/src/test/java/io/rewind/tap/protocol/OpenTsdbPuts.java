package io.rewind.tap.protocol;

import io.rewind.devstack.ServerClasses;
import java.lang.reflect.Array;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What an OpenTSDB 2.4.1 TSD does with the body of an HTTP {@code /api/put}, decided by its own code running with its own
 * libraries ({@link ServerClasses}: OpenTSDB's jar and its Jackson 2.9, as the dev stack's TSDs run them): the body read
 * as {@code HttpJsonSerializer.parsePutV1} reads it ({@code JSON.parseToObject} into {@code IncomingDataPoint}s), then
 * each data point through {@code PutDataPointRpc.processDataPoint}'s steps before storage: {@code validate}, the value
 * typed by {@code Tags.looksLikeInteger} and {@code Tags.fitsInFloat}, {@code TSDB.addPoint}'s NaN check, timestamp
 * check and {@code IncomingDataPoints.checkMetricAndTags}. A test oracle.
 */
final class OpenTsdbJsonPuts {
    /** One data point: stored (with what), or refused with the error a TSD's {@code ?details} gives. */
    record Result(String error, String metric, long timestamp, boolean integer, String value, Map<String, String> tags) {
        boolean stored() {
            return error == null;
        }
    }

    /** The body refused as a whole (its message), or each of its data points. */
    record Outcome(String badBody, List<Result> points) {
    }

    private final Method parseToObject;
    private final Class<?> point;
    private final Class<?> points;
    private final Method validate;
    private final Method metric;
    private final Method timestamp;
    private final Method value;
    private final Method tags;
    private final Method looksLikeInteger;
    private final Method parseLong;
    private final Method fitsInFloat;
    private final Method checkMetricAndTags;
    private final long secondMask;

    OpenTsdbJsonPuts() throws ReflectiveOperationException {
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
        looksLikeInteger = tagsClass.getMethod("looksLikeInteger", String.class);
        parseLong = tagsClass.getMethod("parseLong", CharSequence.class);
        fitsInFloat = tagsClass.getMethod("fitsInFloat", String.class);
        checkMetricAndTags = opentsdb.loadClass("net.opentsdb.core.IncomingDataPoints").getDeclaredMethod("checkMetricAndTags", String.class, Map.class);
        checkMetricAndTags.setAccessible(true);
        secondMask = opentsdb.loadClass("net.opentsdb.core.Const").getField("SECOND_MASK").getLong(null);
    }

    /** @return null for a body whose content is only white space (a TSD fails on it with an internal error) */
    Outcome put(byte[] body) throws ReflectiveOperationException {
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
            results.add(process(parsed));
        } else {
            for (int i = 0; i < Array.getLength(parsed); i++) {
                results.add(process(Array.get(parsed, i)));
            }
        }
        return new Outcome(null, results);
    }

    @SuppressWarnings("unchecked")
    private Result process(Object dp) throws ReflectiveOperationException {
        if (dp == null) {
            return refused("Unexpected null datapoint encountered in set.");
        }
        List<Map<String, Object>> details = new ArrayList<>();
        if (!(Boolean) validate.invoke(dp, details)) {
            return refused(String.valueOf(details.get(0).get("error")));
        }
        String metricName = (String) metric.invoke(dp);
        long ts = (Long) timestamp.invoke(dp);
        String text = (String) value.invoke(dp);
        Map<String, String> tagMap = (Map<String, String>) tags.invoke(dp);
        boolean integer = (Boolean) looksLikeInteger.invoke(null, text);
        try {
            if (integer) {
                parseLong.invoke(null, text);
            } else {
                boolean asFloat = (Boolean) fitsInFloat.invoke(null, text);
                double parsed = asFloat ? Float.parseFloat(text) : Double.parseDouble(text);
                if (Double.isNaN(parsed) || Double.isInfinite(parsed)) {
                    return refused("value is NaN or Infinite: " + (asFloat ? String.valueOf((float) parsed) : String.valueOf(parsed))
                            + " for metric=" + metricName + " timestamp=" + ts);
                }
            }
        } catch (NumberFormatException e) {
            return refused("Unable to parse value to a number");
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof NumberFormatException) {
                return refused("Unable to parse value to a number");
            }
            throw e;
        }
        if (ts < 0 || ((ts & secondMask) != 0 && ts > 9999999999999L)) {
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
        return new Result(null, metricName, ts, integer, text, Map.copyOf(tagMap));
    }

    private static Result refused(String error) {
        return new Result(error, null, 0, false, null, null);
    }
}
