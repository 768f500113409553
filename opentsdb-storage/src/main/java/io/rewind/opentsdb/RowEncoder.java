package io.rewind.opentsdb;

import java.util.Arrays;

/**
 * Builds the one cell OpenTSDB 2.4's compaction ({@code CompactionQueue}) leaves in a row: the qualifiers of the row's
 * points back to back in timestamp order, their values back to back, and a trailing meta byte ({@code 01} when the row
 * mixes second and millisecond points, else {@code 00}); a row of one point keeps that point's own single cell, without
 * the meta byte, as the compaction leaves it. Each point is written as a TSD's {@code addPoint} writes it: a 2-byte
 * qualifier for a point written in seconds, a 4-byte one for milliseconds, and the value on the width given.
 *
 * <p>Points are added in increasing timestamp order, each timestamp once (a second and a millisecond point of the same
 * instant are one timestamp, as OpenTSDB counts them). One encoder serves one thread: it reuses its buffers.
 */
public final class RowEncoder {
    /** The meta byte's flag of a compacted cell that mixes second and millisecond points ({@code Const.MS_MIXED_COMPACT}). */
    public static final byte MS_MIXED_COMPACT = 1;

    private byte[] qualifiers = new byte[256];
    private byte[] values = new byte[256];
    private int qualifierLength;
    private int valueLength;
    private int points;
    private long lastOffsetMs = -1;
    private boolean seconds;
    private boolean milliseconds;

    /** Starts a new row. */
    public void reset() {
        qualifierLength = 0;
        valueLength = 0;
        points = 0;
        lastOffsetMs = -1;
        seconds = false;
        milliseconds = false;
    }

    /**
     * Adds the next point of the row.
     *
     * @param offsetMs the point's time after the row's base hour, in milliseconds; a point written in seconds has a whole
     *        number of seconds
     * @param floatingPoint whether the value is a float; {@code valueBits} is then the IEEE 754 bits of the value as a
     *        double, stored on 4 bytes (as a float, which must hold it exactly) or 8
     * @param width the value's bytes: 1, 2, 4 or 8 for an integer ({@link #integerWidth}), 4 or 8 for a float
     */
    public void add(long offsetMs, boolean millisecondTimestamp, boolean floatingPoint, int width, long valueBits) {
        if (offsetMs <= lastOffsetMs || offsetMs >= StorageLayout.ROW_SPAN_MS) {
            throw new IllegalArgumentException("offset " + offsetMs + " ms after " + lastOffsetMs
                    + ": points of a row go in increasing order within its hour");
        }
        if (!millisecondTimestamp && offsetMs % 1000 != 0) {
            throw new IllegalArgumentException("a point written in seconds at offset " + offsetMs + " ms");
        }
        if (floatingPoint ? width != 4 && width != 8 : width != 1 && width != 2 && width != 4 && width != 8) {
            throw new IllegalArgumentException((floatingPoint ? "a float" : "an integer") + " on " + width + " bytes");
        }
        int flags = (floatingPoint ? RowDecoder.FLAG_FLOAT : 0) | (width - 1);
        ensure(4, width + 1);
        if (millisecondTimestamp) {
            int q = (int) (0xF0000000L | (offsetMs << 6) | flags);
            qualifiers[qualifierLength++] = (byte) (q >>> 24);
            qualifiers[qualifierLength++] = (byte) (q >>> 16);
            qualifiers[qualifierLength++] = (byte) (q >>> 8);
            qualifiers[qualifierLength++] = (byte) q;
            milliseconds = true;
        } else {
            int q = (int) ((offsetMs / 1000) << 4 | flags);
            qualifiers[qualifierLength++] = (byte) (q >>> 8);
            qualifiers[qualifierLength++] = (byte) q;
            seconds = true;
        }
        long stored = floatingPoint && width == 4 ? Float.floatToRawIntBits((float) Double.longBitsToDouble(valueBits)) : valueBits;
        for (int shift = 8 * (width - 1); shift >= 0; shift -= 8) {
            values[valueLength++] = (byte) (stored >>> shift);
        }
        lastOffsetMs = offsetMs;
        points++;
    }

    /** The smallest of 1, 2, 4 or 8 bytes that holds the integer: the width {@code TSDB.addPoint(long)} stores it on. */
    public static int integerWidth(long value) {
        if (value == (byte) value) {
            return 1;
        }
        if (value == (short) value) {
            return 2;
        }
        return value == (int) value ? 4 : 8;
    }

    /** Points added since the last reset. */
    public int points() {
        return points;
    }

    /** The cell's qualifier. */
    public byte[] qualifier() {
        return Arrays.copyOf(qualifiers, qualifierLength);
    }

    /** The cell's value: with the meta byte when the row holds more than one point. */
    public byte[] value() {
        if (points <= 1) {
            return Arrays.copyOf(values, valueLength);
        }
        byte[] value = Arrays.copyOf(values, valueLength + 1);
        value[valueLength] = seconds && milliseconds ? MS_MIXED_COMPACT : 0;
        return value;
    }

    private void ensure(int qualifierBytes, int valueBytes) {
        if (qualifierLength + qualifierBytes > qualifiers.length) {
            qualifiers = Arrays.copyOf(qualifiers, Math.max(qualifiers.length * 2, qualifierLength + qualifierBytes));
        }
        if (valueLength + valueBytes > values.length) {
            values = Arrays.copyOf(values, Math.max(values.length * 2, valueLength + valueBytes));
        }
    }
}
