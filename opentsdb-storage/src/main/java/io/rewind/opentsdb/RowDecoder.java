package io.rewind.opentsdb;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

/**
 * Decodes the cells of one {@code tsdb} row into its points the way a TSD reads them (OpenTSDB 2.4's
 * {@code Internal.extractDataPoints}, {@code AppendDataPoints} and the compaction's merge):
 * <ul>
 * <li>single cells: a 2-byte qualifier (seconds) or a 4-byte one flagged as milliseconds; the value's own
 * length is its width (OpenTSDB's {@code fixQualifierFlags}), and a float flagged as 4 bytes but stored on 8
 * with four leading zeros is the float of the last four (its {@code fixFloatingPointValue});</li>
 * <li>compacted cells: the qualifiers of many points back to back, their values back to back, and one
 * trailing meta byte;</li>
 * <li>append cells ({@code tsd.storage.enable_appends}): qualifier {@code 05 00 00}, the value holding
 * qualifier and value of each point as it was appended; a later one at the same offset replaces an
 * earlier one;</li>
 * <li>duplicate timestamps across cells (a second and a millisecond qualifier of the same instant count as
 * one): the version in the cell HBase wrote last is kept, as {@code tsd.storage.fix_duplicates} keeps it;
 * the others are counted, and those whose value differs from the kept one counted apart;</li>
 * <li>annotations ({@code 01} prefix), histograms ({@code 06}) and other cells with an odd-length qualifier
 * hold no plain points: counted and skipped.</li>
 * </ul>
 * A cell that breaks the format is reported to the {@link Problems} and skipped; the row's other cells are
 * still read. One decoder serves one thread: it reuses its buffers from row to row.
 */
public final class RowDecoder {
    static final byte MS_BYTE_FLAG = (byte) 0xF0;
    static final int FLAG_FLOAT = 0x8;
    static final int LENGTH_MASK = 0x7;
    static final int FLAGS_MASK = FLAG_FLOAT | LENGTH_MASK;
    public static final byte APPEND_PREFIX = 0x05;
    public static final byte ANNOTATION_PREFIX = 0x01;
    public static final byte HISTOGRAM_PREFIX = 0x06;

    /** One cell of a row as HBase returns it; {@code timestampMs} is the cell's version. */
    public record Cell(byte[] qualifier, byte[] value, long timestampMs) {
    }

    /** Receives a row's points in timestamp order, each timestamp once. */
    @FunctionalInterface
    public interface PointSink {
        /**
         * @param milliseconds whether the point was written with a millisecond timestamp (its qualifier is 4 bytes)
         * @param floatingPoint whether the value is a float; {@code valueBits} is then the IEEE 754 bits of the value as a
         *        double (a 4-byte float widened), else the integer
         * @param width the bytes the value is stored on: 1, 2, 4 or 8 for an integer, 4 or 8 for a float
         * @param cellTimestampMs the version of the HBase cell that holds the point: when a TSD, or its compaction, wrote it
         */
        void point(long timestampMs, boolean milliseconds, boolean floatingPoint, long valueBits, int width, long cellTimestampMs);
    }

    /** Receives the cells that break the format. */
    @FunctionalInterface
    public interface Problems {
        void malformed(byte[] qualifier, String reason);
    }

    /** Running counts of what rows held besides their points. */
    public static final class Tally {
        public long points;
        /** Versions of a timestamp dropped because a later cell holds the same timestamp. */
        public long duplicates;
        /** Of those, the ones whose value differed from the version kept. */
        public long conflicting;
        public long annotations;
        public long histograms;
        public long otherCells;
        public long malformed;

        public void add(Tally other) {
            points += other.points;
            duplicates += other.duplicates;
            conflicting += other.conflicting;
            annotations += other.annotations;
            histograms += other.histograms;
            otherCells += other.otherCells;
            malformed += other.malformed;
        }
    }

    // The points of the row being decoded, in the order read: offset from the base time in ms, flags, value, cell version.
    private int n;
    private long[] offsetMs = new long[64];
    private long[] bits = new long[64];
    private long[] version = new long[64];
    private byte[] kind = new byte[64]; // bit 0: milliseconds, bit 1: float, bits 2-4: width - 1
    private Integer[] order = new Integer[0];

    /** Decodes one row's cells (in any order) and hands its points to {@code points}. */
    public void decode(long baseTimeSeconds, List<Cell> cells, PointSink points, Tally tally, Problems problems) {
        n = 0;
        for (Cell cell : cells) {
            int before = n;
            try {
                read(cell, tally);
            } catch (MalformedCellException e) {
                n = before;
                tally.malformed++;
                problems.malformed(cell.qualifier(), e.getMessage());
            }
        }
        emit(baseTimeSeconds * 1000, points, tally);
    }

    private void read(Cell cell, Tally tally) {
        byte[] q = cell.qualifier();
        byte[] v = cell.value();
        int len = q.length;
        if (len == 0) {
            tally.otherCells++;
            return;
        }
        if ((len & 1) != 0) {
            if (q[0] == APPEND_PREFIX && len == 3) {
                readAppended(v, cell.timestampMs());
            } else if (q[0] == ANNOTATION_PREFIX) {
                tally.annotations++;
            } else if (q[0] == HISTOGRAM_PREFIX) {
                tally.histograms++;
            } else {
                tally.otherCells++;
            }
            return;
        }
        if (len == 2) {
            readSingleSecond(q, v, cell.timestampMs());
        } else if (len == 4 && isMilliseconds(q[0])) {
            int flags = q[3] & FLAGS_MASK;
            if (v.length != (flags & LENGTH_MASK) + 1) {
                throw new MalformedCellException("a value of " + v.length + " bytes where the qualifier says " + ((flags & LENGTH_MASK) + 1));
            }
            add(msOffset(q, 0), true, flags, v, 0, cell.timestampMs());
        } else {
            readCompacted(q, v, cell.timestampMs());
        }
    }

    private void readSingleSecond(byte[] q, byte[] v, long ts) {
        int flags = q[1] & FLAGS_MASK;
        int from = 0;
        int width = v.length;
        if ((flags & FLAG_FLOAT) != 0 && (flags & LENGTH_MASK) == 3 && v.length == 8) {
            if (v[0] != 0 || v[1] != 0 || v[2] != 0 || v[3] != 0) {
                throw new MalformedCellException("Corrupted floating point value: a float stored on 8 bytes whose first 4 are not zeros");
            }
            from = 4;
            width = 4;
        }
        if (width < 1 || width > 8) {
            throw new MalformedCellException("a value of " + v.length + " bytes");
        }
        add(secondOffset(q, 0), false, (flags & FLAG_FLOAT) | (width - 1), v, from, ts);
    }

    private void readCompacted(byte[] q, byte[] v, long ts) {
        int at = 0;
        for (int i = 0; i < q.length; ) {
            boolean ms = isMilliseconds(q[i]);
            if (ms && i + 4 > q.length) {
                throw new MalformedCellException("a compacted qualifier ends inside a millisecond qualifier");
            }
            int flags = (ms ? q[i + 3] : q[i + 1]) & FLAGS_MASK;
            int width = (flags & LENGTH_MASK) + 1;
            if (at + width > v.length - 1) {
                throw new MalformedCellException("Corrupted value: couldn't break down into individual values (needed "
                        + (at + width) + " bytes of " + (v.length - 1) + ")");
            }
            add(ms ? msOffset(q, i) : secondOffset(q, i), ms, flags, v, at, ts);
            at += width;
            i += ms ? 4 : 2;
        }
        if (at != v.length - 1) {
            throw new MalformedCellException("Corrupted value: couldn't break down into individual values (consumed " + at
                    + " bytes, but was expecting to consume " + (v.length - 1) + ")");
        }
    }

    private void readAppended(byte[] v, long ts) {
        int at = 0;
        while (at < v.length) {
            boolean ms = isMilliseconds(v[at]);
            int qlen = ms ? 4 : 2;
            if (at + qlen > v.length) {
                throw new MalformedCellException("an appended value ends inside a qualifier");
            }
            int flags = v[at + qlen - 1] & FLAGS_MASK;
            int width = (flags & LENGTH_MASK) + 1;
            if (at + qlen + width > v.length) {
                throw new MalformedCellException("Corrupted value: an appended value ends inside a point's value");
            }
            add(ms ? msOffset(v, at) : secondOffset(v, at), ms, flags, v, at + qlen, ts);
            at += qlen + width;
        }
    }

    private void add(long offset, boolean ms, int flags, byte[] v, int from, long ts) {
        int width = (flags & LENGTH_MASK) + 1;
        boolean floating = (flags & FLAG_FLOAT) != 0;
        long value;
        if (floating) {
            if (width == 4) {
                value = Double.doubleToRawLongBits(Float.intBitsToFloat((int) bigEndian(v, from, 4)));
            } else if (width == 8) {
                value = bigEndian(v, from, 8);
            } else {
                throw new MalformedCellException("a floating point value of " + width + " bytes");
            }
        } else if (width == 1 || width == 2 || width == 4 || width == 8) {
            value = bigEndian(v, from, width) << (64 - 8 * width) >> (64 - 8 * width); // sign-extended
        } else {
            throw new MalformedCellException("an integer value of " + width + " bytes");
        }
        if (n == offsetMs.length) {
            int grown = n * 2;
            offsetMs = Arrays.copyOf(offsetMs, grown);
            bits = Arrays.copyOf(bits, grown);
            version = Arrays.copyOf(version, grown);
            kind = Arrays.copyOf(kind, grown);
        }
        offsetMs[n] = offset;
        bits[n] = value;
        version[n] = ts;
        kind[n] = (byte) ((ms ? 1 : 0) | (floating ? 2 : 0) | (width - 1) << 2);
        n++;
    }

    private void emit(long baseMs, PointSink points, Tally tally) {
        boolean sorted = true;
        for (int i = 1; i < n && sorted; i++) {
            sorted = offsetMs[i - 1] < offsetMs[i];
        }
        if (sorted) {
            for (int i = 0; i < n; i++) {
                emit(points, baseMs, i);
            }
            tally.points += n;
            return;
        }
        if (order.length < n) {
            order = new Integer[Math.max(n, order.length * 2)];
        }
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        // By timestamp; at one timestamp the latest cell first, and within a cell the last read first (an append).
        Arrays.sort(order, 0, n, (a, b) -> {
            int c = Long.compare(offsetMs[a], offsetMs[b]);
            if (c == 0) {
                c = Long.compare(version[b], version[a]);
            }
            return c != 0 ? c : Integer.compare(b, a);
        });
        int kept = -1;
        for (int k = 0; k < n; k++) {
            int i = order[k];
            if (kept >= 0 && offsetMs[kept] == offsetMs[i]) {
                tally.duplicates++;
                if (bits[kept] != bits[i] || (kind[kept] & 2) != (kind[i] & 2)) {
                    tally.conflicting++;
                }
                continue;
            }
            kept = i;
            emit(points, baseMs, i);
            tally.points++;
        }
    }

    private void emit(PointSink points, long baseMs, int i) {
        points.point(baseMs + offsetMs[i], (kind[i] & 1) != 0, (kind[i] & 2) != 0, bits[i], ((kind[i] >> 2) & 7) + 1, version[i]);
    }

    static boolean isMilliseconds(byte first) {
        return (first & MS_BYTE_FLAG) == MS_BYTE_FLAG;
    }

    /** A second qualifier's offset, in ms. */
    private static long secondOffset(byte[] q, int at) {
        return (((q[at] & 0xFF) << 8 | (q[at + 1] & 0xFF)) >>> 4) * 1000L;
    }

    /** A millisecond qualifier's offset. */
    private static long msOffset(byte[] q, int at) {
        return (RowKey.unsignedInt(q, at) & 0x0FFFFFC0L) >>> 6;
    }

    private static long bigEndian(byte[] b, int from, int width) {
        long value = 0;
        for (int i = 0; i < width; i++) {
            value = (value << 8) | (b[from + i] & 0xFF);
        }
        return value;
    }

    /** A qualifier in hex, as reports name cells. */
    public static String hex(byte[] qualifier) {
        return HexFormat.of().formatHex(qualifier);
    }
}
