package io.rewind.schema.wire;

import io.rewind.schema.AvroTrust;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DatumWriter;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;

/**
 * Avro single-object encoding: a two-byte marker, the writer schema's 64-bit fingerprint, then the
 * Avro binary record. Self-contained: nothing but the schemas compiled into Rewind is needed to read
 * it back, so no registry has to run.
 */
public final class SingleObjectWireFormat<T extends SpecificRecord> implements WireFormat<T> {
    private final Schema schema;
    private final byte[] header;
    private final DatumWriter<T> writer;
    private final BinaryMessageDecoder<T> decoder;
    /**
     * Each encoding thread's buffer and buffered encoder, reused: the tap encodes every point it
     * accepts, and Avro's own message encoder writes byte by byte into a synchronized stream.
     */
    private final ThreadLocal<Buffer> buffers = ThreadLocal.withInitial(Buffer::new);

    public SingleObjectWireFormat(Class<T> type) {
        AvroTrust.trustRewindSchemas();
        SpecificData model = SpecificData.getForClass(type);
        this.schema = model.getSchema(type);
        this.header = header(schema);
        this.writer = new SpecificDatumWriter<>(schema, model);
        this.decoder = new BinaryMessageDecoder<>(model, schema);
    }

    @Override
    public byte[] header() {
        return header.clone();
    }

    /** The single-object marker C3 01, then the schema's 64-bit parsing fingerprint, little-endian. */
    private static byte[] header(Schema schema) {
        long fingerprint = SchemaNormalization.parsingFingerprint64(schema);
        byte[] header = new byte[10];
        header[0] = (byte) 0xC3;
        header[1] = 0x01;
        for (int i = 0; i < 8; i++) {
            header[2 + i] = (byte) (fingerprint >>> (8 * i));
        }
        return header;
    }

    private static final class Buffer extends ByteArrayOutputStream {
        BinaryEncoder encoder;

        Buffer() {
            super(256);
        }
    }

    @Override
    public byte[] encode(T record) {
        try {
            Buffer buffer = buffers.get();
            buffer.reset();
            buffer.write(header, 0, header.length);
            buffer.encoder = EncoderFactory.get().binaryEncoder(buffer, buffer.encoder);
            writer.write(record, buffer.encoder);
            buffer.encoder.flush();
            return buffer.toByteArray();
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
