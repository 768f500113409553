package io.rewind.tap.protocol;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.core.JsonToken;
import io.rewind.schema.Histogram;
import io.rewind.schema.HistogramBucket;
import io.rewind.schema.Point;
import io.rewind.schema.PointKind;
import io.rewind.schema.Rollup;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the JSON body of {@code /api/put}, {@code /api/rollup} and {@code /api/histogram} the way a
 * TSD does: one object or an array of them; unknown fields ignored; a number's text kept as written
 * (so {@code 1.5} and {@code "1.5"} are the same value); then each point checked in OpenTSDB's order
 * ({@code IncomingDataPoint.validate}, the value, {@code checkTimestampAndTags}) with the error text
 * OpenTSDB puts in {@code ?details}. A body that is not such JSON fails as a whole, as it does in OpenTSDB.
 */
public final class JsonPutParser {
    /** As OpenTSDB's mapper reads: {@code NaN} and {@code Infinity} are numbers (which a value then fails to be stored as). */
    private static final JsonFactory JSON = JsonFactory.builder().enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS).build();

    private final PointRules rules;

    public JsonPutParser(PointRules rules) {
        this.rules = rules;
    }

    /** A data point of the body: its point when valid, else why (as counted), OpenTSDB's error and the data point as OpenTSDB echoes it. */
    public record Entry(Point point, Rejection.Reason reason, String error, Map<String, Object> datapoint) {
        public boolean valid() {
            return point != null;
        }
    }

    /** The body could not be read as data points: OpenTSDB answers 400 with this message and details. */
    public static final class BadBody extends Exception {
        private final String details;

        public BadBody(String message, String details) {
            super(message, null, false, false);
            this.details = details;
        }

        public String details() {
            return details;
        }
    }

    /** The fields of one data point as the client sent them; numbers as their text. */
    private static final class Fields {
        String metric;
        Long timestamp;
        String value;
        HashMap<String, String> tags;
        String interval;
        String aggregator;
        String groupByAggregator;
        Integer id;
        Map<String, Long> buckets;
        Long underflow;
        Long overflow;
    }

    /** The data points of a body read from a stream (tests); the tap reads bodies it already holds, {@link #parse(byte[], int, PointKind)}. */
    public List<Entry> parse(InputStream body, PointKind kind) throws BadBody {
        byte[] bytes;
        try {
            bytes = body.readAllBytes();
        } catch (IOException e) {
            throw new BadBody("Unable to parse the given JSON", e.getMessage());
        }
        return parse(bytes, bytes.length, kind);
    }

    /** The data points of the body in the first {@code length} bytes of {@code bytes}. */
    public List<Entry> parse(byte[] bytes, int length, PointKind kind) throws BadBody {
        List<Fields> all = new ArrayList<>();
        // OpenTSDB trims the content (every character up to ' ' at either end) and looks at its first character before it
        // parses anything.
        int start = 0;
        int end = length;
        while (start < end && (bytes[start] & 0xff) <= ' ') {
            start++;
        }
        while (end > start && (bytes[end - 1] & 0xff) <= ' ') {
            end--;
        }
        if (start < end && bytes[start] != '{' && bytes[start] != '[') {
            throw new BadBody("The JSON must start as an object or an array", null);
        }
        try (JsonParser json = parser(bytes, start, end)) {
            JsonToken first = json.nextToken();
            if (first == JsonToken.START_ARRAY) {
                for (JsonToken token = json.nextToken(); token != JsonToken.END_ARRAY; token = json.nextToken()) {
                    all.add(token == JsonToken.VALUE_NULL ? null : object(json, kind));
                }
            } else if (first == JsonToken.START_OBJECT) {
                all.add(object(json, kind));
            } else {
                throw new BadBody("Unable to parse the given JSON", first == null ? "Missing content" : "Unexpected token " + first);
            }
        } catch (IOException | RuntimeException e) {
            throw new BadBody("Unable to parse the given JSON", e.getMessage());
        }
        if (all.isEmpty()) {
            throw new BadBody("No datapoints found in content", null);
        }
        List<Entry> entries = new ArrayList<>(all.size());
        for (Fields fields : all) {
            entries.add(entry(fields, kind));
        }
        return entries;
    }

    /**
     * A parser of the body as OpenTSDB reads it: decoded as UTF-8 into a string first, so that a byte sequence that is not
     * UTF-8 reads as the replacement character, not as an error. A body of ASCII alone, the usual one, is parsed as it is,
     * unless it holds a NUL byte: from bytes, Jackson would take NULs among the first four for UTF-16 or UTF-32 and read
     * {@code [\0]\0} as an empty array, where OpenTSDB reads a NUL as the illegal character it is in UTF-8.
     */
    private static JsonParser parser(byte[] bytes, int start, int end) throws IOException {
        for (int i = start; i < end; i++) {
            if (bytes[i] <= 0) {
                return JSON.createParser(new String(bytes, start, end - start, StandardCharsets.UTF_8).trim());
            }
        }
        return JSON.createParser(bytes, start, end - start);
    }

    private Entry entry(Fields f, PointKind kind) {
        if (f == null) {
            return new Entry(null, Rejection.Reason.BAD_REQUEST, "Unexpected null datapoint encountered in set.", null);
        }
        try {
            validate(f, kind);
            return new Entry(point(f, kind), null, null, null);
        } catch (Rejection e) {
            String error = e.isNumberFormat() ? "Unable to parse value to a number" : e.getMessage();
            return new Entry(null, e.reason(), error, echo(f, kind));
        }
    }

    /** {@code IncomingDataPoint.validate} and its rollup and histogram variants; fails with OpenTSDB's text. */
    private static void validate(Fields f, PointKind kind) {
        if (f.metric == null || f.metric.isEmpty()) {
            throw Rejection.illegalArgument(Rejection.Reason.METRIC, "Metric name was empty");
        }
        if (f.timestamp == null || f.timestamp <= 0) {
            throw Rejection.illegalArgument(Rejection.Reason.TIMESTAMP, "Invalid timestamp");
        }
        if (kind == PointKind.HISTOGRAM) {
            if (f.tags == null || f.tags.isEmpty()) {
                throw Rejection.illegalArgument(Rejection.Reason.TAGS, "Missing tags");
            }
            if (f.value == null || f.value.isEmpty()) {
                if (f.buckets == null || f.buckets.isEmpty()) {
                    throw Rejection.illegalArgument(Rejection.Reason.HISTOGRAM, "Histogram buckets cannot be null or empty if 'value' is empty.");
                }
            } else if (f.id == null || f.id < 0 || f.id > 255) {
                throw Rejection.illegalArgument(Rejection.Reason.HISTOGRAM, "Invalid type. Must be from 0 to 255.");
            }
            return;
        }
        if (f.value == null || f.value.isEmpty()) {
            throw Rejection.illegalArgument(Rejection.Reason.VALUE, "Empty value");
        }
        if (f.tags == null || f.tags.isEmpty()) {
            throw Rejection.illegalArgument(Rejection.Reason.TAGS, "Missing tags");
        }
        if (kind == PointKind.ROLLUP) {
            boolean groupBy = f.groupByAggregator != null && !f.groupByAggregator.isEmpty();
            if ((f.interval == null || f.interval.isEmpty()) && !groupBy) {
                throw Rejection.illegalArgument(Rejection.Reason.ROLLUP, "Missing interval");
            }
            if ((f.aggregator == null || f.aggregator.isEmpty()) && !groupBy) {
                throw Rejection.illegalArgument(Rejection.Reason.ROLLUP, "Missing aggregator");
            }
        }
    }

    private Point point(Fields f, PointKind kind) {
        HashMap<String, String> tags = f.tags; // the map as read, not a copy: a copy of another capacity iterates in another order
        Point.Builder point = TelnetPutParser.point(kind, f.metric, f.timestamp, tags);
        if (kind == PointKind.HISTOGRAM) {
            rules.checkTimestampAndTags(f.metric, f.timestamp, 0L, tags);
            return point.setHistogram(histogram(f)).build();
        }
        Number value = PointRules.parseValue(f.value);
        PointRules.checkFinite(value, f.metric, f.timestamp);
        rules.checkTimestampAndTags(f.metric, f.timestamp, value, tags);
        point.setValue(value);
        if (kind == PointKind.ROLLUP) {
            point.setRollup(Rollup.newBuilder().setInterval(f.interval == null ? "" : f.interval)
                    .setAggregator(f.aggregator == null ? f.groupByAggregator : f.aggregator)
                    .setGroupByAggregator(f.groupByAggregator).build());
        }
        return point.build();
    }

    private static Histogram histogram(Fields f) {
        Histogram.Builder histogram = Histogram.newBuilder().setUnderflow(f.underflow).setOverflow(f.overflow);
        if (f.value != null && !f.value.isEmpty()) {
            try {
                return histogram.setId(f.id).setEncoded(ByteBuffer.wrap(Base64.getDecoder().decode(f.value))).build();
            } catch (IllegalArgumentException e) {
                throw Rejection.illegalArgument(Rejection.Reason.HISTOGRAM, "Invalid histogram value: " + e.getMessage());
            }
        }
        List<HistogramBucket> buckets = new ArrayList<>();
        f.buckets.forEach((bounds, count) -> {
            String[] lowHigh = TelnetPutParser.split(bounds, ',');
            if (lowHigh.length != 2) {
                throw Rejection.illegalArgument(Rejection.Reason.HISTOGRAM, "Improperly formatted bounds: " + bounds);
            }
            try {
                buckets.add(new HistogramBucket((double) Float.parseFloat(lowHigh[0]), (double) Float.parseFloat(lowHigh[1]), count));
            } catch (NumberFormatException e) {
                throw Rejection.invalidValue(e.getMessage());
            }
        });
        return histogram.setBuckets(buckets).build();
    }

    /** The data point as OpenTSDB serializes it back in {@code ?details}: the fields it has, value as text. */
    private static Map<String, Object> echo(Fields f, PointKind kind) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("metric", f.metric);
        out.put("timestamp", f.timestamp == null ? 0L : f.timestamp);
        out.put("value", f.value);
        if (f.tags != null) {
            out.put("tags", f.tags);
        }
        if (kind == PointKind.ROLLUP) {
            out.put("interval", f.interval);
            out.put("aggregator", f.aggregator);
            out.put("groupByAggregator", f.groupByAggregator);
        }
        out.values().removeIf(v -> v == null);
        return out;
    }

    /** Skips a field's value; null, to assign. */
    private static <T> T skip(JsonParser json) throws IOException {
        json.skipChildren();
        return null;
    }

    /**
     * A number bound to a {@code long} field as OpenTSDB's Jackson (2.9) binds it: an integer as it is, a float cut to
     * its integer part (within the range of a long), a string parsed (empty or "null" meaning 0); anything else, or a
     * string that is not a number, fails the whole body.
     */
    private static long longValue(JsonParser json) throws IOException {
        switch (json.currentToken()) {
            case VALUE_NUMBER_INT:
                return json.getLongValue();
            case VALUE_NUMBER_FLOAT: {
                double d = json.getDoubleValue();
                if (d < Long.MIN_VALUE || d > Long.MAX_VALUE) {
                    throw new IOException("Numeric value (" + json.getText() + ") out of range of long");
                }
                return (long) d;
            }
            case VALUE_STRING: {
                String text = json.getText().trim();
                if (text.isEmpty() || text.equals("null")) {
                    return 0;
                }
                try {
                    return Long.parseLong(text);
                } catch (NumberFormatException e) {
                    throw new IOException("Cannot deserialize value of type long from String \"" + text + "\": not a valid long value");
                }
            }
            default:
                throw new IOException("Cannot deserialize value of type long from " + json.currentToken());
        }
    }

    private static Fields object(JsonParser json, PointKind kind) throws IOException {
        if (json.currentToken() != JsonToken.START_OBJECT) {
            throw new IOException("Expected a data point object, got " + json.currentToken());
        }
        Fields f = new Fields();
        while (json.nextToken() == JsonToken.FIELD_NAME) {
            String name = json.currentName();
            JsonToken token = json.nextToken();
            // Each kind's fields are those of OpenTSDB's class for it (IncomingDataPoint, RollUpDataPoint, HistogramPojo);
            // any other field is ignored, as its mapper ignores unknown properties.
            boolean rollup = kind == PointKind.ROLLUP;
            boolean histogram = kind == PointKind.HISTOGRAM;
            switch (name) {
                case "metric" -> f.metric = text(json);
                case "timestamp" -> f.timestamp = token == JsonToken.VALUE_NULL ? null : longValue(json);
                case "value" -> f.value = text(json);
                case "tags" -> f.tags = stringMap(json);
                case "tsuid" -> text(json);
                case "interval" -> f.interval = rollup ? text(json) : skip(json);
                case "aggregator" -> f.aggregator = rollup ? text(json) : skip(json);
                case "groupByAggregator" -> f.groupByAggregator = rollup ? text(json) : skip(json);
                case "id" -> f.id = !histogram || token == JsonToken.VALUE_NULL ? skip(json) : (Integer) json.getValueAsInt();
                case "underflow" -> f.underflow = !histogram || token == JsonToken.VALUE_NULL ? skip(json) : (Long) json.getValueAsLong();
                case "overflow" -> f.overflow = !histogram || token == JsonToken.VALUE_NULL ? skip(json) : (Long) json.getValueAsLong();
                case "buckets" -> f.buckets = histogram ? longMap(json) : skip(json);
                default -> json.skipChildren();
            }
        }
        return f;
    }

    /** A scalar as text, as Jackson binds it to a String field: numbers and booleans keep their written form. */
    private static String text(JsonParser json) throws IOException {
        JsonToken token = json.currentToken();
        if (token == JsonToken.VALUE_NULL) {
            return null;
        }
        if (token.isStructStart()) {
            throw new IOException("Expected a value, got " + token + " at " + json.currentLocation());
        }
        return json.getText();
    }

    private static HashMap<String, String> stringMap(JsonParser json) throws IOException {
        if (json.currentToken() == JsonToken.VALUE_NULL) {
            return null;
        }
        if (json.currentToken() != JsonToken.START_OBJECT) {
            throw new IOException("Expected an object of tags, got " + json.currentToken());
        }
        // A HashMap, as OpenTSDB's IncomingDataPoint holds its tags: checks run in its order, so the first tag found wrong is
        // the one OpenTSDB names.
        HashMap<String, String> map = new HashMap<>();
        while (json.nextToken() == JsonToken.FIELD_NAME) {
            String key = json.currentName();
            json.nextToken();
            map.put(key, text(json));
        }
        return map;
    }

    private static Map<String, Long> longMap(JsonParser json) throws IOException {
        if (json.currentToken() == JsonToken.VALUE_NULL) {
            return null;
        }
        if (json.currentToken() != JsonToken.START_OBJECT) {
            throw new IOException("Expected an object of buckets, got " + json.currentToken());
        }
        Map<String, Long> map = new LinkedHashMap<>();
        while (json.nextToken() == JsonToken.FIELD_NAME) {
            String key = json.currentName();
            json.nextToken();
            map.put(key, json.getValueAsLong());
        }
        return map;
    }
}
