package io.rewind.tap.record;

import io.rewind.schema.wire.AvroBinary;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A record value written straight in Avro's binary encoding: the wire format's header, then the body field by field, into
 * a buffer that grows as needed and is reused for the next record by the thread that owns it (the caller keeps one per
 * thread); {@link #toByteArray} gives the record's own copy.
 */
public final class AvroBody {
    private byte[] bytes = new byte[256];
    private int size;

    /** Starts a record: its value begins with {@code header}. */
    public AvroBody start(byte[] header) {
        size = 0;
        ensure(header.length);
        System.arraycopy(header, 0, bytes, 0, header.length);
        size = header.length;
        return this;
    }

    /** An Avro {@code long} or {@code int} (zig-zag varint), also a union's branch, an enum's symbol, a block's count. */
    public void varLong(long value) {
        ensure(AvroBinary.MAX_LONG_BYTES);
        size = AvroBinary.writeLong(bytes, size, value);
    }

    /** An Avro {@code string} of these bytes, already UTF-8. */
    public void string(byte[] from, int start, int end) {
        varLong(end - start);
        ensure(end - start);
        System.arraycopy(from, start, bytes, size, end - start);
        size += end - start;
    }

    /** An Avro {@code string}: its UTF-8 bytes, written without a copy when every character is ASCII. */
    public void string(CharSequence s) {
        int length = s.length();
        ensure(AvroBinary.MAX_LONG_BYTES + length);
        int at = AvroBinary.writeLong(bytes, size, length);
        for (int i = 0; i < length; i++) {
            char c = s.charAt(i);
            if (c >= 0x80) {
                byte[] utf8 = s.toString().getBytes(StandardCharsets.UTF_8);
                string(utf8, 0, utf8.length);
                return;
            }
            bytes[at + i] = (byte) c;
        }
        size = at + length;
    }

    /** An Avro {@code double}: its IEEE 754 bits, little-endian. */
    public void fixedDouble(double value) {
        ensure(8);
        long bits = Double.doubleToRawLongBits(value);
        for (int i = 0; i < 8; i++) {
            bytes[size++] = (byte) (bits >>> (8 * i));
        }
    }

    /** The record's value: a copy of what was written since {@link #start}. */
    public byte[] toByteArray() {
        return Arrays.copyOf(bytes, size);
    }

    private void ensure(int more) {
        if (size + more > bytes.length) {
            bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, size + more));
        }
    }
}
