package io.rewind.schema.wire;

import io.rewind.schema.AvroTrust;
import java.io.IOException;
import java.nio.ByteBuffer;
import org.apache.avro.Schema;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;

/**
 * Avro single-object encoding: a two-byte marker, the writer schema's 64-bit fingerprint, then the
 * Avro binary record. Self-contained: nothing but the schemas compiled into Rewind is needed to read
 * it back, so no registry has to run.
 */
public final class SingleObjectWireFormat<T extends SpecificRecord> implements WireFormat<T> {
    private final Schema schema;
    private final BinaryMessageEncoder<T> encoder;
    private final BinaryMessageDecoder<T> decoder;

    public SingleObjectWireFormat(Class<T> type) {
        AvroTrust.trustRewindSchemas();
        SpecificData model = SpecificData.getForClass(type);
        this.schema = model.getSchema(type);
        this.encoder = new BinaryMessageEncoder<>(model, schema);
        this.decoder = new BinaryMessageDecoder<>(model, schema);
    }

    @Override
    public byte[] encode(T record) {
        try {
            ByteBuffer buffer = encoder.encode(record);
            byte[] bytes = new byte[buffer.remaining()];
            buffer.get(bytes);
            return bytes;
        } catch (IOException | RuntimeException e) {
            throw new WireFormatException("Cannot encode a " + schema.getName() + " as " + name() + ": " + e.getMessage(), e);
        }
    }

    @Override
    public T decode(byte[] bytes) {
        try {
            return decoder.decode(bytes);
        } catch (IOException | RuntimeException e) {
            throw new WireFormatException("Cannot decode " + bytes.length + " bytes as a " + schema.getName()
                    + " in " + name() + ": " + e.getMessage(), e);
        }
    }

    @Override
    public String name() {
        return "avro-single-object";
    }
}
