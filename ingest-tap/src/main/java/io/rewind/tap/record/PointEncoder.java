package io.rewind.tap.record;

import io.rewind.schema.Point;
import io.rewind.schema.SeriesKey;
import io.rewind.schema.wire.WireFormat;

/** Turns an accepted point into its Kafka record: key = canonical series key, value = the project's wire format. */
public final class PointEncoder {
    private final WireFormat<Point> format;

    public PointEncoder(WireFormat<Point> format) {
        this.format = format;
    }

    /** Readies the wire format (registers the schema with a Schema Registry), so that encoding never calls out from an event loop. */
    public void prepare() {
        format.prepareToEncode();
    }

    /** What every record's value starts with before its Avro body; fails as {@link #encode} would (a Schema Registry down). */
    public byte[] header() {
        return format.header();
    }

    public PointRecord encode(Point point, long receivedMs) {
        return new PointRecord(SeriesKey.of(point).toBytes(), format.encode(point), receivedMs);
    }
}
