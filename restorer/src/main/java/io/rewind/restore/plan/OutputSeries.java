package io.rewind.restore.plan;

import io.rewind.archive.segment.SeriesPoints;
import io.rewind.schema.HistogramBucket;
import io.rewind.schema.PointKind;
import io.rewind.schema.Rollup;
import java.util.Base64;
import java.util.SortedMap;

/**
 * A selected series as the target receives it: metric renamed, tags rewritten, timestamps shifted,
 * and each point written back as it was written: an integer stays an integer, a float a float, and a
 * timestamp sent in seconds is sent in seconds, so the target stores the same cells (DESIGN.md, "The
 * point").
 */
public record OutputSeries(SeriesPoints points, String metric, SortedMap<String, String> tags, long shiftMs) {

    public static OutputSeries of(SeriesPoints points, Transforms transforms) {
        return new OutputSeries(points, transforms.metric(points.id().key().metric()), transforms.tags(points.id().key().tags()),
                transforms.shiftMs());
    }

    public int size() {
        return points.size();
    }

    public PointKind kind() {
        return points.id().kind();
    }

    /** The event time the target stores, in milliseconds. */
    public long timestampMs(int i) {
        return points.timestampMs(i) + shiftMs;
    }

    /** The timestamp as the client wrote it: seconds, or milliseconds. */
    public long wireTimestamp(int i) {
        long ms = timestampMs(i);
        return points.isMilliseconds(i) ? ms : Math.floorDiv(ms, 1000);
    }

    /** The value as OpenTSDB's text formats write it: integers without a point, floats with one or an exponent. */
    public String valueText(int i) {
        if (!points.isFloatingPoint(i)) {
            return Long.toString(points.valueBits(i));
        }
        return Double.toString(Double.longBitsToDouble(points.valueBits(i)));
    }

    /** Writes point {@code i} as the JSON object of OpenTSDB's /api/put, /api/rollup or /api/histogram. */
    public void writeJson(com.fasterxml.jackson.core.JsonGenerator json, int i) throws java.io.IOException {
        json.writeStartObject();
        json.writeStringField("metric", metric);
        json.writeNumberField("timestamp", wireTimestamp(i));
        PointKind kind = kind();
        if (kind == PointKind.HISTOGRAM) {
            writeHistogram(json, i);
        } else if (points.isFloatingPoint(i)) {
            json.writeNumberField("value", Double.longBitsToDouble(points.valueBits(i)));
        } else {
            json.writeNumberField("value", points.valueBits(i));
        }
        json.writeObjectFieldStart("tags");
        for (var tag : tags.entrySet()) {
            json.writeStringField(tag.getKey(), tag.getValue());
        }
        json.writeEndObject();
        if (kind == PointKind.ROLLUP) {
            Rollup rollup = points.id().rollup();
            json.writeStringField("interval", rollup.getInterval());
            json.writeStringField("aggregator", rollup.getAggregator());
            if (rollup.getGroupByAggregator() != null) {
                json.writeStringField("groupByAggregator", rollup.getGroupByAggregator());
            }
        }
        json.writeEndObject();
    }

    private void writeHistogram(com.fasterxml.jackson.core.JsonGenerator json, int i) throws java.io.IOException {
        var histogram = points.histogram(i);
        if (histogram.getEncoded() != null) {
            json.writeNumberField("id", histogram.getId() == null ? 0 : histogram.getId());
            byte[] bytes = new byte[histogram.getEncoded().remaining()];
            histogram.getEncoded().duplicate().get(bytes);
            json.writeStringField("value", Base64.getEncoder().encodeToString(bytes));
            return;
        }
        json.writeObjectFieldStart("buckets");
        for (HistogramBucket bucket : histogram.getBuckets()) {
            json.writeNumberField(bucket.getLower() + "," + bucket.getUpper(), bucket.getCount());
        }
        json.writeEndObject();
        if (histogram.getUnderflow() != null) {
            json.writeNumberField("underflow", histogram.getUnderflow());
        }
        if (histogram.getOverflow() != null) {
            json.writeNumberField("overflow", histogram.getOverflow());
        }
    }

    /** Writes point {@code i} as a line of OpenTSDB's import format: {@code metric timestamp value tagk=tagv ...}. */
    public void appendImportLine(StringBuilder line, int i) {
        line.append(metric).append(' ').append(wireTimestamp(i)).append(' ').append(valueText(i));
        for (var tag : tags.entrySet()) {
            line.append(' ').append(tag.getKey()).append('=').append(tag.getValue());
        }
        line.append('\n');
    }
}
