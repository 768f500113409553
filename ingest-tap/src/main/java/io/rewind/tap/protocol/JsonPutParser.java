package io.rewind.tap.protocol;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.rewind.schema.Histogram;
import io.rewind.schema.HistogramBucket;
import io.rewind.schema.Point;
import io.rewind.schema.PointKind;
import io.rewind.schema.Rollup;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
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
    private static final JsonFactory JSON = JsonFactory.builder().build();

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
        Map<String, String> tags;
        String interval;
        String aggregator;
        String groupByAggregator;
        Integer id;
        Map<String, Long> buckets;
        Long underflow;
        Long overflow;
    }

    public List<Entry> parse(InputStream body, PointKind kind) throws BadBody {
        List<Fields> all = new ArrayList<>();
        try (JsonParser json = JSON.createParser(body)) {
            JsonToken first = json.nextToken();
            if (first == JsonToken.START_ARRAY) {
                for (JsonToken token = json.nextToken(); token != JsonToken.END_ARRAY; token = json.nextToken()) {
                    all.add(token == JsonToken.VALUE_NULL ? null : object(json));
                }
            } else if (first == JsonToken.START_OBJECT) {
                all.add(object(json));
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
        HashMap<String, String> tags = new HashMap<>(f.tags);
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

    private static Fields object(JsonParser json) throws IOException {
        if (json.currentToken() != JsonToken.START_OBJECT) {
            throw new IOException("Expected a data point object, got " + json.currentToken());
        }
        Fields f = new Fields();
        while (json.nextToken() == JsonToken.FIELD_NAME) {
            String name = json.currentName();
            JsonToken token = json.nextToken();
            switch (name) {
                case "metric" -> f.metric = text(json);
                case "timestamp" -> f.timestamp = token == JsonToken.VALUE_NULL ? null : json.getValueAsLong();
                case "value" -> f.value = text(json);
                case "tags" -> f.tags = stringMap(json);
                case "interval" -> f.interval = text(json);
                case "aggregator" -> f.aggregator = text(json);
                case "groupByAggregator" -> f.groupByAggregator = text(json);
                case "id" -> f.id = token == JsonToken.VALUE_NULL ? null : json.getValueAsInt();
                case "underflow" -> f.underflow = token == JsonToken.VALUE_NULL ? null : json.getValueAsLong();
                case "overflow" -> f.overflow = token == JsonToken.VALUE_NULL ? null : json.getValueAsLong();
                case "buckets" -> f.buckets = longMap(json);
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

    private static Map<String, String> stringMap(JsonParser json) throws IOException {
        if (json.currentToken() == JsonToken.VALUE_NULL) {
            return null;
        }
        if (json.currentToken() != JsonToken.START_OBJECT) {
            throw new IOException("Expected an object of tags, got " + json.currentToken());
        }
        Map<String, String> map = new LinkedHashMap<>();
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
