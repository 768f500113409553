package io.rewind.schema.wire;

import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/** A Kafka serde that writes and reads one record type in a {@link WireFormat}. */
public final class WireFormatSerde<T extends SpecificRecord> implements Serde<T> {
    private final WireFormat<T> format;

    public WireFormatSerde(WireFormat<T> format) {
        this.format = format;
    }

    @Override
    public Serializer<T> serializer() {
        return (topic, record) -> record == null ? null : format.encode(record);
    }

    @Override
    public Deserializer<T> deserializer() {
        return (topic, bytes) -> bytes == null ? null : format.decode(bytes);
    }
}
