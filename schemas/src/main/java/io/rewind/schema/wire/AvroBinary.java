package io.rewind.schema.wire;

/**
 * Avro's binary encoding of a long (zig-zag, then 7 bits a byte, least significant first), for the writers that encode
 * without Avro's encoder: the tap's telnet fast path and the archive's packed columns.
 */
public final class AvroBinary {
    /** The most bytes a long takes. */
    public static final int MAX_LONG_BYTES = 10;

    private AvroBinary() {
    }

    /** Writes {@code value} at {@code at} (room for {@link #MAX_LONG_BYTES} needed); returns the position after it. */
    public static int writeLong(byte[] into, int at, long value) {
        long v = (value << 1) ^ (value >> 63);
        while ((v & ~0x7FL) != 0) {
            into[at++] = (byte) ((v & 0x7F) | 0x80);
            v >>>= 7;
        }
        into[at++] = (byte) v;
        return at;
    }

    /** The bytes {@link #writeLong} takes for {@code value}. */
    public static int longSize(long value) {
        long v = (value << 1) ^ (value >> 63);
        return v == 0 ? 1 : (64 - Long.numberOfLeadingZeros(v) + 6) / 7;
    }
}
