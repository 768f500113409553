package io.rewind.archive.segment;

import io.rewind.schema.wire.AvroBinary;
import java.util.Arrays;

/**
 * One column of longs as format version 2 stores it: turned into small residuals by the transform that makes them smallest
 * for this column (the values as they are, their deltas, their deltas of deltas, or each one XOR the one before, for
 * floating-point bits), then bit-packed in blocks of {@value #BLOCK} with a frame of reference: each block stores its
 * smallest residual and the bits every residual needs above it, then the residuals in exactly that many bits.
 *
 * <p>Layout: one byte, the transform; the column's first one or two values the transform keeps whole, as zig-zag varints;
 * then per block of residuals: its minimum (zig-zag varint), its bit width (one byte, 0 to 64), the number of exceptions
 * (varint), {@code width × count} bits (each residual above the minimum, least significant bit first, padded to a whole
 * byte), then each exception: its index in the block (a byte) and the bits of its residual above the width (varint). The
 * width is the one that makes the block smallest: a rare burst in a noisy counter costs its own few bytes, not a wider
 * width for the whole block (patched frame of reference).
 */
final class PackedLongs {
    static final int BLOCK = 128;
    static final byte RAW = 0;
    static final byte DELTA = 1;
    static final byte DELTA_OF_DELTA = 2;
    static final byte XOR = 3;
    /** The transforms tried for integer columns; floating-point bits also try {@link #XOR}. */
    static final byte[] INTEGER_TRANSFORMS = {RAW, DELTA, DELTA_OF_DELTA};
    static final byte[] BIT_TRANSFORMS = {RAW, DELTA, DELTA_OF_DELTA, XOR};

    private PackedLongs() {
    }

    /** Appends the first {@code n} values, with the transform of {@code transforms} that packs them smallest. */
    static void write(long[] values, int n, byte[] transforms, Bytes out) {
        Plan best = null;
        Plan candidate = new Plan(n);
        for (byte transform : transforms) {
            candidate.measure(transform, values, n);
            if (best == null || candidate.bytes < best.bytes) {
                Plan spare = best == null ? new Plan(n) : best;
                best = candidate;
                candidate = spare;
            }
        }
        int kept = kept(best.transform, n);
        out.write(best.transform);
        for (int i = 0; i < kept; i++) {
            out.varint(values[i]);
        }
        long[] residuals = best.residuals;
        for (int from = kept, block = 0; from < n; from += BLOCK, block++) {
            int to = Math.min(n, from + BLOCK);
            long min = best.mins[block];
            int width = best.widths[block];
            out.varint(min);
            out.write((byte) width);
            out.varint(best.exceptions[block]);
            out.pack(residuals, from, to, min, width);
            if (best.exceptions[block] > 0) {
                for (int i = from; i < to; i++) {
                    long high = (residuals[i] - min) >>> width;
                    if (high != 0) {
                        out.write((byte) (i - from));
                        out.varint(high);
                    }
                }
            }
        }
    }

    /** A transform's residuals and, per block, the frame the column is packed with: its minimum, width and exceptions. */
    private static final class Plan {
        final long[] residuals;
        final long[] mins;
        final int[] widths;
        final int[] exceptions;
        byte transform;
        long bytes;

        Plan(int n) {
            residuals = new long[n];
            int blocks = n / BLOCK + 1;
            mins = new long[blocks];
            widths = new int[blocks];
            exceptions = new int[blocks];
        }

        /** The residuals of {@code transform}, each block's frame, and the bytes they pack into. */
        void measure(byte transform, long[] values, int n) {
            this.transform = transform;
            bytes = 0;
            int from = residuals(values, n, transform, residuals);
            for (int start = from, block = 0; start < n; start += BLOCK, block++) {
                int end = Math.min(n, start + BLOCK);
                long min = min(residuals, start, end);
                int width = bestWidth(residuals, start, end, min);
                int exceptionCount = 0;
                bytes += Bytes.varintSize(min) + 1;
                for (int i = start; i < end; i++) {
                    long high = width == 64 ? 0 : (residuals[i] - min) >>> width;
                    if (high != 0) {
                        exceptionCount++;
                        bytes += 1 + Bytes.varintSize(high);
                    }
                }
                bytes += blockBytes(end - start, width, exceptionCount);
                mins[block] = min;
                widths[block] = width;
                exceptions[block] = exceptionCount;
            }
        }
    }

    private static long min(long[] r, int from, int to) {
        long min = r[from];
        for (int i = from + 1; i < to; i++) {
            min = Math.min(min, r[i]);
        }
        return min;
    }

    /** Bytes of a block packed at each width, exceptions included; the width of the fewest. */
    private static int bestWidth(long[] r, int from, int to, long min) {
        int[] atWidth = new int[65]; // how many residuals need exactly this many bits
        for (int i = from; i < to; i++) {
            atWidth[64 - Long.numberOfLeadingZeros(r[i] - min)]++;
        }
        int maxWidth = 64;
        while (maxWidth > 0 && atWidth[maxWidth] == 0) {
            maxWidth--;
        }
        int count = to - from;
        int best = maxWidth;
        long bestBytes = blockBytes(count, maxWidth, 0);
        // Exceptions: every residual wider than the width, each its index and its high bits.
        long exceptionBytes = 0;
        int exceptions = 0;
        for (int width = maxWidth - 1; width >= 0 && exceptions <= count / 4; width--) {
            exceptions += atWidth[width + 1];
            // Each exception's high bits (at most its own width minus this one), as a varint, and its index.
            exceptionBytes = 0;
            for (int w = width + 1; w <= maxWidth; w++) {
                exceptionBytes += (long) atWidth[w] * (1 + Bytes.varintSize(1L << (w - width - 1)));
            }
            long bytes = blockBytes(count, width, exceptions) + exceptionBytes;
            if (bytes < bestBytes) {
                bestBytes = bytes;
                best = width;
            }
        }
        return best;
    }

    private static long blockBytes(int count, int width, int exceptions) {
        return ((long) width * count + 7) / 8 + Bytes.varintSize(exceptions);
    }

    /** Reads {@code n} values written by {@link #write} at the reader's position into {@code into}. */
    static void read(Bytes.Reader in, int n, long[] into) {
        byte transform = in.readByte();
        int kept = kept(transform, n);
        for (int i = 0; i < kept; i++) {
            into[i] = in.varint();
        }
        for (int from = kept; from < n; from += BLOCK) {
            int to = Math.min(n, from + BLOCK);
            long min = in.varint();
            int width = in.readByte() & 0xff;
            long exceptions = in.varint();
            if (width > 64 || exceptions < 0 || exceptions > to - from || (width == 64 && exceptions > 0)) {
                throw new IllegalArgumentException("a packed block of bit width " + width + " with " + exceptions + " exceptions");
            }
            in.unpack(into, from, to, min, width);
            for (long e = 0; e < exceptions; e++) {
                int index = in.readByte() & 0xff;
                if (index >= to - from) {
                    throw new IllegalArgumentException("an exception at " + index + " in a block of " + (to - from));
                }
                into[from + index] += in.varint() << width;
            }
        }
        switch (transform) {
            case RAW -> { }
            case DELTA -> {
                for (int i = 1; i < n; i++) {
                    into[i] += into[i - 1];
                }
            }
            case DELTA_OF_DELTA -> {
                long delta = n > 1 ? into[1] - into[0] : 0;
                for (int i = 2; i < n; i++) {
                    delta += into[i];
                    into[i] = into[i - 1] + delta;
                }
            }
            case XOR -> {
                for (int i = 1; i < n; i++) {
                    into[i] ^= into[i - 1];
                }
            }
            default -> throw new IllegalArgumentException("unknown column transform " + transform);
        }
    }

    /** How many leading values a transform stores whole. */
    private static int kept(byte transform, int n) {
        return Math.min(n, transform == RAW ? 0 : transform == DELTA_OF_DELTA ? 2 : 1);
    }

    /** Fills the residuals from index {@link #kept}; returns that index. */
    private static int residuals(long[] v, int n, byte transform, long[] r) {
        int kept = kept(transform, n);
        switch (transform) {
            case RAW -> System.arraycopy(v, 0, r, 0, n);
            case DELTA -> {
                for (int i = 1; i < n; i++) {
                    r[i] = v[i] - v[i - 1];
                }
            }
            case DELTA_OF_DELTA -> {
                for (int i = 2; i < n; i++) {
                    r[i] = (v[i] - v[i - 1]) - (v[i - 1] - v[i - 2]);
                }
            }
            case XOR -> {
                for (int i = 1; i < n; i++) {
                    r[i] = v[i] ^ v[i - 1];
                }
            }
            default -> throw new IllegalArgumentException("unknown column transform " + transform);
        }
        return kept;
    }

    /** A growable byte array with zig-zag varints and bit packing, and its reader. */
    static final class Bytes {
        private byte[] bytes = new byte[256];
        private int size;

        void write(byte b) {
            ensure(1);
            bytes[size++] = b;
        }

        void varint(long value) {
            ensure(AvroBinary.MAX_LONG_BYTES);
            size = AvroBinary.writeLong(bytes, size, value);
        }

        static int varintSize(long value) {
            return AvroBinary.longSize(value);
        }

        /** Residuals {@code [from, to)} minus {@code min}, their lowest {@code width} bits each, least significant first. */
        void pack(long[] values, int from, int to, long min, int width) {
            if (width == 0) {
                return;
            }
            int total = (int) (((long) width * (to - from) + 7) / 8);
            ensure(total + 8);
            long buffer = 0;
            int filled = 0;
            int at = size;
            long mask = width == 64 ? -1L : (1L << width) - 1;
            for (int i = from; i < to; i++) {
                long v = (values[i] - min) & mask; // an exception's higher bits follow the block
                buffer |= v << filled;
                int room = 64 - filled;
                if (width >= room) {
                    for (int b = 0; b < 8; b++) {
                        bytes[at++] = (byte) (buffer >>> (8 * b));
                    }
                    buffer = room == 64 ? 0 : v >>> room;
                    filled = width - room;
                } else {
                    filled += width;
                }
            }
            while (filled > 0) {
                bytes[at++] = (byte) buffer;
                buffer >>>= 8;
                filled -= 8;
            }
            size = at;
        }

        void append(Bytes other) {
            ensure(other.size);
            System.arraycopy(other.bytes, 0, bytes, size, other.size);
            size += other.size;
        }

        byte[] toByteArray() {
            return Arrays.copyOf(bytes, size);
        }

        int size() {
            return size;
        }

        private void ensure(int more) {
            if (size + more > bytes.length) {
                bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, size + more));
            }
        }

        /** Reads what a {@link Bytes} wrote. */
        static final class Reader {
            private final byte[] bytes;
            private int at;
            private final int end;

            Reader(byte[] bytes, int offset, int length) {
                this.bytes = bytes;
                this.at = offset;
                this.end = offset + length;
            }

            byte readByte() {
                if (at >= end) {
                    throw new IllegalArgumentException("the packed columns end early");
                }
                return bytes[at++];
            }

            long varint() {
                long v = 0;
                for (int shift = 0; shift < 70; shift += 7) {
                    byte b = readByte();
                    v |= (long) (b & 0x7F) << shift;
                    if (b >= 0) {
                        return (v >>> 1) ^ -(v & 1);
                    }
                }
                throw new IllegalArgumentException("a varint longer than 10 bytes in the packed columns");
            }

            void unpack(long[] into, int from, int to, long min, int width) {
                if (width == 0) {
                    Arrays.fill(into, from, to, min);
                    return;
                }
                int total = (int) (((long) width * (to - from) + 7) / 8);
                if (at + total > end) {
                    throw new IllegalArgumentException("the packed columns end early");
                }
                long mask = width == 64 ? -1L : (1L << width) - 1;
                long bitPos = (long) at * 8;
                for (int i = from; i < to; i++) {
                    int index = (int) (bitPos >>> 3);
                    int shift = (int) (bitPos & 7);
                    long word = 0;
                    int needed = (shift + width + 7) >>> 3; // bytes that hold the value, up to 9
                    for (int b = 0; b < Math.min(needed, 8); b++) {
                        word |= (bytes[index + b] & 0xFFL) << (8 * b);
                    }
                    long v = word >>> shift;
                    if (needed == 9) {
                        v |= (bytes[index + 8] & 0xFFL) << (64 - shift);
                    }
                    into[i] = (v & mask) + min;
                    bitPos += width;
                }
                at += total;
            }

            int position() {
                return at;
            }
        }
    }
}
