package io.rewind.archive.segment;

import io.rewind.schema.wire.AvroBinary;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * One column of longs as format versions 2 and 3 store it: turned into small residuals by the transform that makes them smallest
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
 *
 * <p>Format version 3 adds a second kind of block, Rice-coded, and each block is the kind that makes it smaller. The transform
 * byte then carries {@link #CODED_BLOCKS}, and each block starts with one byte: below {@value #RICE}, a frame-of-reference
 * block of that bit width (its minimum and number of exceptions follow as varints, then the bits and exceptions as above);
 * from {@value #RICE} on, a Rice-coded block with parameter {@code k} = the byte minus {@value #RICE}: its center, the
 * residuals' mean rounded (zig-zag varint), then for each residual {@code u} = zig-zag(residual minus center), least significant bit
 * first: {@code u >>> k} zero bits and a one bit, then the low {@code k} bits of {@code u}; when {@code u >>> k} would be
 * {@value #RICE_LIMIT} or more, {@value #RICE_LIMIT} zero bits and a one bit, then 6 bits holding u's bit length minus one,
 * then u's bits below its highest. The block ends at a whole byte. A frame of reference spends the bits of the block's
 * widest residual on every residual; a Rice code spends on each about the bits of its own size, which is what noise
 * clustered around a level costs (Gaussian or bursty noise, a gauge idle most of the time).
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
    /** In the transform byte: each block starts with a byte saying its kind (format version 3). */
    static final int CODED_BLOCKS = 0x10;
    /** A block byte from this one on: Rice-coded, with parameter (byte - RICE). */
    static final int RICE = 128;
    /** The quotient from which a residual is written whole, its length first. */
    static final int RICE_LIMIT = 32;
    /**
     * How many Rice parameters are tried for a block, from four below its frame's width: on both datasets of
     * {@code bench archive-size} the best one was 4, 3 or 2 below in 98.5% of the blocks Rice-coded, 1 below in 1%, the
     * width itself in 0.5% (those take their next best, which left both datasets' bytes as they were).
     */
    private static final int RICE_TRIES = 4;

    private static final VarHandle LITTLE_ENDIAN_LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    private PackedLongs() {
    }

    /** Appends the first {@code n} values as format version 2 does: every block a frame of reference. */
    static void write(long[] values, int n, byte[] transforms, Bytes out) {
        write(values, n, transforms, false, out);
    }

    /**
     * Appends the first {@code n} values, with the transform of {@code transforms} that packs them smallest; with
     * {@code coded} (format version 3), each block the kind, frame of reference or Rice code, that makes it smaller.
     */
    static void write(long[] values, int n, byte[] transforms, boolean coded, Bytes out) {
        plan(values, n, transforms, coded).write(out);
    }

    /**
     * How the first {@code n} values would be written: with the transform of {@code transforms} that packs them smallest as
     * frames of reference. Its {@link Plan#bytes()} compare two ways of storing a column before one is written.
     */
    static Plan plan(long[] values, int n, byte[] transforms, boolean coded) {
        Plan best = null;
        Plan candidate = new Plan(n, coded);
        for (byte transform : transforms) {
            candidate.measure(transform, values, n);
            if (best == null || candidate.bytes < best.bytes) {
                Plan spare = best == null ? new Plan(n, coded) : best;
                best = candidate;
                candidate = spare;
            }
        }
        return best;
    }

    /**
     * A transform's residuals and, per block, how it is written: the frame of reference (minimum, width and exceptions), or,
     * when blocks may be coded and that is smaller, the Rice code (center and parameter).
     */
    static final class Plan {
        final long[] residuals;
        final long[] mins;
        final int[] widths;
        final int[] exceptions;
        /** Per block, the Rice parameter when the block is Rice-coded, else -1; null when blocks are not coded. */
        final int[] riceParameters;
        final long[] centers;
        /** Per block, its bytes as a frame of reference. */
        final long[] frames;
        long[] values;
        int n;
        byte transform;
        long bytes;

        Plan(int n, boolean coded) {
            residuals = new long[n];
            int blocks = n / BLOCK + 1;
            mins = new long[blocks];
            widths = new int[blocks];
            exceptions = new int[blocks];
            riceParameters = coded ? new int[blocks] : null;
            centers = coded ? new long[blocks] : null;
            frames = coded ? new long[blocks] : null;
        }

        /** The column's bytes as frames of reference, before any block is Rice-coded. */
        long bytes() {
            return bytes;
        }

        /** Appends the column; when blocks are coded, each is first Rice-coded if that is smaller. */
        void write(Bytes out) {
            boolean coded = riceParameters != null;
            if (coded) {
                code();
            }
            int kept = kept(transform, n);
            out.write((byte) (coded ? transform | CODED_BLOCKS : transform));
            for (int i = 0; i < kept; i++) {
                out.varint(values[i]);
            }
            for (int from = kept, block = 0; from < n; from += BLOCK, block++) {
                int to = Math.min(n, from + BLOCK);
                if (coded && riceParameters[block] >= 0) {
                    out.write((byte) (RICE + riceParameters[block]));
                    out.varint(centers[block]);
                    out.rice(residuals, from, to, centers[block], riceParameters[block]);
                    continue;
                }
                long min = mins[block];
                int width = widths[block];
                if (coded) {
                    out.write((byte) width);
                    out.varint(min);
                } else {
                    out.varint(min);
                    out.write((byte) width);
                }
                out.varint(exceptions[block]);
                out.pack(residuals, from, to, min, width);
                if (exceptions[block] > 0) {
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

        /** The residuals of {@code transform}, each block's frame, and the bytes they pack into. */
        void measure(byte transform, long[] values, int n) {
            this.values = values;
            this.n = n;
            this.transform = transform;
            bytes = 0;
            int from = residuals(values, n, transform, residuals);
            for (int start = from, block = 0; start < n; start += BLOCK, block++) {
                int end = Math.min(n, start + BLOCK);
                long min = min(residuals, start, end);
                int width = bestWidth(residuals, start, end, min);
                int exceptionCount = 0;
                long frameBytes = Bytes.varintSize(min) + 1;
                for (int i = start; i < end; i++) {
                    long high = width == 64 ? 0 : (residuals[i] - min) >>> width;
                    if (high != 0) {
                        exceptionCount++;
                        frameBytes += 1 + Bytes.varintSize(high);
                    }
                }
                frameBytes += blockBytes(end - start, width, exceptionCount);
                mins[block] = min;
                widths[block] = width;
                exceptions[block] = exceptionCount;
                bytes += frameBytes;
                if (riceParameters != null) {
                    riceParameters[block] = -1;
                    frames[block] = frameBytes;
                }
            }
        }

        /**
         * Rice-codes each block that is smaller so. Only the transform chosen by the frames is coded: the transform that
         * packs a column smallest is, but for a few bytes, the one that codes it smallest, and trying each would cost the
         * writer three times the time.
         */
        void code() {
            for (int start = kept(transform, n), block = 0; start < n; start += BLOCK, block++) {
                int end = Math.min(n, start + BLOCK);
                if (widths[block] <= 1) {
                    continue; // a Rice code takes at least a bit a residual
                }
                long riceBytes = rice(start, end, block);
                if (riceBytes < frames[block]) {
                    bytes += riceBytes - frames[block];
                } else {
                    riceParameters[block] = -1;
                }
            }
        }

        /** The bytes of the block Rice-coded with its best parameter, which it records with the center. */
        private long rice(int start, int end, int block) {
            int count = end - start;
            // Around the mean: the median would fit bursty noise a little better, but finding it costs the writer a fifth of its speed.
            double sum = 0;
            for (int i = start; i < end; i++) {
                sum += residuals[i];
            }
            long center = Math.round(sum / count);
            // The best parameter is near the bits of the residuals' typical distance from the center, a bit or two below the
            // frame's width; a few around it are tried.
            int lowest = Math.max(0, Math.min(60, widths[block] - 4));
            long[] bitsAt = new long[RICE_TRIES];
            for (int i = start; i < end; i++) {
                long u = zigZag(residuals[i] - center);
                for (int c = 0; c < RICE_TRIES; c++) {
                    int k = lowest + c;
                    long quotient = u >>> k; // unsigned: with k = 0, u itself
                    bitsAt[c] += Long.compareUnsigned(quotient, RICE_LIMIT) < 0 ? quotient + 1 + k
                            : RICE_LIMIT + 1 + 6 + 63 - Long.numberOfLeadingZeros(u);
                }
            }
            long bestBits = Long.MAX_VALUE;
            int bestK = 0;
            for (int c = 0; c < RICE_TRIES; c++) {
                if (bitsAt[c] < bestBits) {
                    bestBits = bitsAt[c];
                    bestK = lowest + c;
                }
            }
            riceParameters[block] = bestK;
            centers[block] = center;
            return 1 + Bytes.varintSize(center) + (bestBits + 7) / 8;
        }
    }

    static long zigZag(long value) {
        return (value << 1) ^ (value >> 63);
    }

    static long unZigZag(long u) {
        return (u >>> 1) ^ -(u & 1);
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

    /** Reads {@code n} values written by {@link #write} at the reader's position into {@code into}; returns how many blocks were Rice-coded. */
    static int read(Bytes.Reader in, int n, long[] into) {
        byte header = in.readByte();
        boolean coded = (header & CODED_BLOCKS) != 0;
        byte transform = (byte) (header & ~CODED_BLOCKS);
        int kept = kept(transform, n);
        for (int i = 0; i < kept; i++) {
            into[i] = in.varint();
        }
        int riceBlocks = 0;
        for (int from = kept; from < n; from += BLOCK) {
            int to = Math.min(n, from + BLOCK);
            long min;
            int width;
            if (coded) {
                int kind = in.readByte() & 0xff;
                if (kind >= RICE) {
                    if (kind - RICE > 63) {
                        throw new IllegalArgumentException("a Rice-coded block of parameter " + (kind - RICE));
                    }
                    long center = in.varint();
                    in.unrice(into, from, to, center, kind - RICE);
                    riceBlocks++;
                    continue;
                }
                width = kind;
                min = in.varint();
            } else {
                min = in.varint();
                width = in.readByte() & 0xff;
            }
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
        return riceBlocks;
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
            ensure((int) (((long) width * (to - from) + 7) / 8) + 8);
            BitWriter bits = new BitWriter(bytes, size);
            long mask = -1L >>> (64 - width);
            for (int i = from; i < to; i++) {
                bits.put((values[i] - min) & mask, width); // an exception's higher bits follow the block
            }
            size = bits.finish();
        }

        /** Residuals {@code [from, to)} Rice-coded around {@code center} with parameter {@code k}, ending at a whole byte. */
        void rice(long[] values, int from, int to, long center, int k) {
            // At most RICE_LIMIT + 1 + 6 + 63 bits a residual, and the last partial word.
            ensure((to - from) * 13 + 16);
            BitWriter bits = new BitWriter(bytes, size);
            long lowMask = k == 0 ? 0 : -1L >>> (64 - k);
            for (int i = from; i < to; i++) {
                long u = zigZag(values[i] - center);
                long quotient = u >>> k; // unsigned: with k = 0, u itself
                if (Long.compareUnsigned(quotient, RICE_LIMIT) < 0) {
                    bits.put(1L << quotient, (int) quotient + 1);
                    bits.put(u & lowMask, k);
                } else {
                    int length = 64 - Long.numberOfLeadingZeros(u);
                    bits.put(1L << RICE_LIMIT, RICE_LIMIT + 1);
                    bits.put(length - 1, 6);
                    bits.put(length == 1 ? 0 : u & (-1L >>> (65 - length)), length - 1);
                }
            }
            size = bits.finish();
        }

        /** Bits appended least significant first into a byte array with room for them. */
        private static final class BitWriter {
            private final byte[] bytes;
            private int at;
            private long pending;
            private int pendingBits;

            BitWriter(byte[] bytes, int at) {
                this.bytes = bytes;
                this.at = at;
            }

            /** The low {@code count} bits of {@code value} (0 to 64; the bits above them are zero). */
            void put(long value, int count) {
                if (count == 0) {
                    return;
                }
                pending |= value << pendingBits;
                if (pendingBits + count >= 64) {
                    LITTLE_ENDIAN_LONG.set(bytes, at, pending);
                    at += 8;
                    int written = 64 - pendingBits;
                    pending = written == 64 ? 0 : value >>> written;
                    pendingBits += count - 64;
                } else {
                    pendingBits += count;
                }
            }

            /** Writes the last bits, padded to a byte; returns the position after them. */
            int finish() {
                while (pendingBits > 0) {
                    bytes[at++] = (byte) pending;
                    pending >>>= 8;
                    pendingBits -= 8;
                }
                return at;
            }
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
                        return unZigZag(v);
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
                long bit = (long) at * 8;
                for (int i = from; i < to; i++) {
                    into[i] = bits(bit, width) + min;
                    bit += width;
                }
                at += total;
            }

            /** Reads a block written by {@link Bytes#rice} into {@code [from, to)}. */
            void unrice(long[] into, int from, int to, long center, int k) {
                long bit = (long) at * 8;
                long endBit = (long) end * 8;
                for (int i = from; i < to; i++) {
                    int quotient = Long.numberOfTrailingZeros(window(bit));
                    if (quotient > RICE_LIMIT) {
                        throw new IllegalArgumentException("the packed columns end early or hold a Rice quotient above " + RICE_LIMIT);
                    }
                    bit += quotient + 1;
                    long u;
                    if (quotient < RICE_LIMIT) {
                        u = ((long) quotient << k) | bits(bit, k);
                        bit += k;
                    } else {
                        int length = (int) bits(bit, 6) + 1;
                        bit += 6;
                        u = (1L << (length - 1)) | bits(bit, length - 1);
                        bit += length - 1;
                    }
                    if (bit > endBit) {
                        throw new IllegalArgumentException("the packed columns end early");
                    }
                    into[i] = center + unZigZag(u);
                }
                at = (int) ((bit + 7) >>> 3);
            }

            /** The {@code count} bits (0 to 64) from bit {@code bit} on. */
            private long bits(long bit, int count) {
                if (count == 0) {
                    return 0;
                }
                if (count <= 56) {
                    return window(bit) & (-1L >>> (64 - count));
                }
                return (window(bit) & 0xFFFF_FFFFL) | (window(bit + 32) & (-1L >>> (96 - count))) << 32;
            }

            /** At least 57 bits from bit {@code bit} on, least significant first; zeros past the end. */
            private long window(long bit) {
                int index = (int) (bit >>> 3);
                int shift = (int) (bit & 7);
                if (index + 8 <= end) {
                    return (long) LITTLE_ENDIAN_LONG.get(bytes, index) >>> shift;
                }
                long word = 0;
                for (int b = 0; index + b < end; b++) {
                    word |= (bytes[index + b] & 0xFFL) << (8 * b);
                }
                return word >>> shift;
            }

            int position() {
                return at;
            }
        }
    }
}
