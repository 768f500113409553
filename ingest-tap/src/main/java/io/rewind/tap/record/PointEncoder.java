package io.rewind.tap.record;

import io.rewind.schema.Point;
import io.rewind.schema.PointKind;
import io.rewind.schema.SeriesKey;
import io.rewind.schema.wire.WireFormat;
import java.util.Map;

/**
 * Turns an accepted point into its Kafka record: key = canonical series key, value = the project's wire format.
 *
 * <p>A put point (no rollup, no histogram: nearly every point) is written field by field straight into Avro's binary
 * encoding after the wire format's header, the bytes Avro's own writer gives (its map entries in the map's order), without
 * Avro's reflection over the record; {@code PointEncoderTest} checks them byte for byte. Rollup and histogram points go
 * through the wire format's own encoder.
 */
public final class PointEncoder {
    /** The indexes of the {@code value} union {@code ["null", "long", "double"]}. */
    public static final int NULL_BRANCH = 0;
    public static final int LONG_BRANCH = 1;
    public static final int DOUBLE_BRANCH = 2;

    private final WireFormat<Point> format;
    private final ThreadLocal<AvroBody> bodies = ThreadLocal.withInitial(AvroBody::new);
    /** The wire format's header, once it could give it (after {@link #prepare}); null before. */
    private volatile byte[] header;

    public PointEncoder(WireFormat<Point> format) {
        this.format = format;
    }

    /** Readies the wire format (registers the schema with a Schema Registry), so that encoding never calls out from an event loop. */
    public void prepare() {
        format.prepareToEncode();
        header = format.header();
    }

    /** What every record's value starts with before its Avro body; fails as {@link #encode} would (a Schema Registry down). */
    public byte[] header() {
        return format.header();
    }

    public PointRecord encode(Point point, long receivedMs) {
        byte[] key = SeriesKey.of(point).toBytes();
        byte[] value = header == null || point.getRollup() != null || point.getHistogram() != null ? null : put(point);
        return new PointRecord(key, value != null ? value : format.encode(point), receivedMs);
    }

    /** The value of a put point written directly; null for a value of a type the schema does not have (Avro's encoder then says so). */
    private byte[] put(Point point) {
        AvroBody body = bodies.get().start(header);
        body.string(point.getMetric());
        body.varLong(point.getTimestampMs());
        body.varLong(point.getPrecision().ordinal());
        Object value = point.getValue();
        if (value == null) {
            body.varLong(NULL_BRANCH);
        } else if (value instanceof Long number) {
            body.varLong(LONG_BRANCH);
            body.varLong(number);
        } else if (value instanceof Double number) {
            body.varLong(DOUBLE_BRANCH);
            body.fixedDouble(number);
        } else {
            return null;
        }
        Map<String, String> tags = point.getTags();
        if (!tags.isEmpty()) {
            body.varLong(tags.size()); // one block of map entries, then the end of the map
            for (Map.Entry<String, String> tag : tags.entrySet()) {
                body.string(tag.getKey());
                body.string(tag.getValue());
            }
        }
        body.varLong(0);
        body.varLong(point.getKind().ordinal());
        body.varLong(0); // rollup: null
        body.varLong(0); // histogram: null
        return body.toByteArray();
    }

    /** A point record's metric, timestamp and kind, read without decoding the rest. */
    public record Read(String metric, long timestampMs, PointKind kind) {
    }

    /**
     * The metric, timestamp and kind of a point record's value: after the header, the Avro body of {@code Point} in its schema's
     * order: metric (string), timestamp (zig-zag varint), precision (enum), value (union of null, long, double), tags (map of
     * strings, in blocks), kind (enum).
     */
    public static Read read(byte[] value, int headerBytes) {
        int[] at = {headerBytes};
        int metricLength = (int) varLong(value, at);
        String metric = new String(value, at[0], metricLength, java.nio.charset.StandardCharsets.UTF_8);
        at[0] += metricLength;
        long timestamp = varLong(value, at);
        varLong(value, at); // precision
        long branch = varLong(value, at);
        if (branch == LONG_BRANCH) {
            varLong(value, at);
        } else if (branch == DOUBLE_BRANCH) {
            at[0] += 8;
        }
        for (long count = varLong(value, at); count != 0; count = varLong(value, at)) {
            if (count < 0) { // a block with its size in bytes
                count = -count;
                varLong(value, at);
            }
            for (long entry = 0; entry < count; entry++) {
                skipBytes(value, at);
                skipBytes(value, at);
            }
        }
        return new Read(metric, timestamp, PointKind.values()[(int) varLong(value, at)]);
    }

    /** Skips an Avro string or bytes: its length, then that many bytes. */
    private static void skipBytes(byte[] value, int[] at) {
        long length = varLong(value, at); // read first: it moves the position
        at[0] += (int) length;
    }

    private static long varLong(byte[] bytes, int[] at) {
        long raw = 0;
        int shift = 0;
        while (true) {
            byte b = bytes[at[0]++];
            raw |= (long) (b & 0x7f) << shift;
            if ((b & 0x80) == 0) {
                break;
            }
            shift += 7;
        }
        return (raw >>> 1) ^ -(raw & 1);
    }

}
