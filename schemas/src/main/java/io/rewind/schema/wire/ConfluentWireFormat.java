package io.rewind.schema.wire;

import io.rewind.schema.AvroTrust;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;

/**
 * Confluent's wire format: magic byte 0, the writer schema's 4-byte big-endian registry id, then the
 * Avro binary record. Records written with an older or newer schema of the subject are resolved to
 * the schema compiled into Rewind, following Avro's schema resolution rules.
 */
public final class ConfluentWireFormat<T extends SpecificRecord> implements WireFormat<T> {
    static final byte MAGIC = 0;

    private final SchemaRegistryClient registry;
    private final String subject;
    private final SpecificData model;
    private final Schema schema;
    private final SpecificDatumWriter<T> writer;
    private final Map<Integer, SpecificDatumReader<T>> readers = new ConcurrentHashMap<>();
    private volatile int schemaId = -1;

    public ConfluentWireFormat(SchemaRegistryClient registry, String subject, Class<T> type) {
        AvroTrust.trustRewindSchemas();
        this.registry = registry;
        this.subject = subject;
        this.model = SpecificData.getForClass(type);
        this.schema = model.getSchema(type);
        this.writer = new SpecificDatumWriter<>(schema, model);
    }

    /** The subject name of a topic's values under the registry's default strategy: {@code <topic>-value}. */
    public static String valueSubject(String topic) {
        return topic + "-value";
    }

    @Override
    public void prepareToEncode() {
        if (schemaId < 0) {
            schemaId = registry.register(subject, schema);
        }
    }

    @Override
    public byte[] header() {
        prepareToEncode();
        return ByteBuffer.allocate(5).put(MAGIC).putInt(schemaId).array();
    }

    @Override
    public byte[] encode(T record) {
        prepareToEncode();
        int id = schemaId;
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream(128);
            out.write(MAGIC);
            out.write(ByteBuffer.allocate(4).putInt(id).array());
            BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);
            writer.write(record, encoder);
            encoder.flush();
            return out.toByteArray();
        } catch (IOException | RuntimeException e) {
            throw new WireFormatException("Cannot encode a " + schema.getName() + " as " + name() + ": " + e.getMessage(), e);
        }
    }

    @Override
    public T decode(byte[] bytes) {
        if (bytes.length < 5 || bytes[0] != MAGIC) {
            throw new WireFormatException("Cannot decode " + bytes.length + " bytes as a " + schema.getName() + " in " + name()
                    + ": " + (bytes.length == 0 ? "empty record" : "expected magic byte 0 and a schema id, found byte " + bytes[0]
                    + (bytes.length < 5 ? " and only " + bytes.length + " bytes" : "")));
        }
        int id = ByteBuffer.wrap(bytes, 1, 4).getInt();
        SpecificDatumReader<T> reader = readers.computeIfAbsent(id,
                key -> new SpecificDatumReader<>(registry.schemaById(key), schema, model));
        try {
            return reader.read(null, DecoderFactory.get().binaryDecoder(bytes, 5, bytes.length - 5, null));
        } catch (IOException | RuntimeException e) {
            throw new WireFormatException("Cannot decode " + bytes.length + " bytes as a " + schema.getName() + " in " + name()
                    + " (writer schema id " + id + "): " + e.getMessage(), e);
        }
    }

    @Override
    public String name() {
        return "confluent (subject " + subject + ")";
    }
}
