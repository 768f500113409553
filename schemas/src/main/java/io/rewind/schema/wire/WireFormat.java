package io.rewind.schema.wire;

import org.apache.avro.specific.SpecificRecord;

/**
 * How records of one Avro type are written to and read from Kafka: Avro single-object encoding by
 * default, Confluent's wire format when a Schema Registry is configured. Implementations are
 * thread-safe.
 */
public interface WireFormat<T extends SpecificRecord> {

    byte[] encode(T record);

    /**
     * Does now whatever the first {@link #encode} would have to call out for (with a Schema Registry: registering the
     * writer schema), so that encoding never waits on the network.
     *
     * @throws WireFormatException when that fails
     */
    default void prepareToEncode() {
    }

    /**
     * The bytes every encoded record starts with, before its Avro binary body, for a writer that encodes the body itself
     * (the tap's telnet fast path); call after {@link #prepareToEncode}.
     */
    byte[] header();

    /** @throws WireFormatException when the bytes are not a record of this type in this format */
    T decode(byte[] bytes);

    /** Name for logs and errors, e.g. {@code avro-single-object}. */
    String name();
}
