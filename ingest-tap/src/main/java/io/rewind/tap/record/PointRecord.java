package io.rewind.tap.record;

/** One point as it goes to Kafka: the series key, the point in the wire format, and when the tap received it. */
public record PointRecord(byte[] key, byte[] value, long receivedMs) {
    /** Bytes this record takes in memory and in the spool, for bounds. */
    public int size() {
        return key.length + value.length + 16;
    }
}
