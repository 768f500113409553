package io.rewind.schema;

import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/** The Kafka serde of record keys: a {@link SeriesKey} in its canonical byte form. */
public final class SeriesKeySerde implements Serde<SeriesKey> {
    @Override
    public Serializer<SeriesKey> serializer() {
        return (topic, key) -> key == null ? null : key.toBytes();
    }

    @Override
    public Deserializer<SeriesKey> deserializer() {
        return (topic, bytes) -> bytes == null ? null : SeriesKey.fromBytes(bytes);
    }
}
