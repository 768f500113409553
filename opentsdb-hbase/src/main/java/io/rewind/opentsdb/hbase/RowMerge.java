package io.rewind.opentsdb.hbase;

import io.rewind.opentsdb.RowDecoder;
import io.rewind.opentsdb.RowEncoder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * How one row of a cluster's {@code tsdb} table changes when restored points are written into it, the way OpenTSDB's
 * compaction would leave it: the row's points read as a TSD reads them (duplicates resolved as {@code fix_duplicates}
 * resolves them), the restored version put at each timestamp it has, and, within the replaced span, every other point
 * removed; the result is one compacted cell, and the cells it replaces are deleted. Cells that hold no points
 * (annotations, histograms) and cells that cannot be read are left as they are.
 */
final class RowMerge {
    private RowMerge() {
    }

    /** Points of one row in timestamp order, each timestamp once, with the width each value is stored on. */
    static final class RowPoints {
        int size;
        long[] timestampMs = new long[64];
        boolean[] milliseconds = new boolean[64];
        boolean[] floatingPoint = new boolean[64];
        byte[] width = new byte[64];
        long[] bits = new long[64];

        int size() {
            return size;
        }

        void clear() {
            size = 0;
        }

        void add(long ts, boolean ms, boolean fp, int valueWidth, long valueBits) {
            if (size == timestampMs.length) {
                int grown = size * 2;
                timestampMs = Arrays.copyOf(timestampMs, grown);
                milliseconds = Arrays.copyOf(milliseconds, grown);
                floatingPoint = Arrays.copyOf(floatingPoint, grown);
                width = Arrays.copyOf(width, grown);
                bits = Arrays.copyOf(bits, grown);
            }
            timestampMs[size] = ts;
            milliseconds[size] = ms;
            floatingPoint[size] = fp;
            width[size] = (byte) valueWidth;
            bits[size] = valueBits;
            size++;
        }

        /**
         * Whether point {@code i} holds the same number as the other's point {@code j}: both integers or both floats, of
         * equal value, whatever their widths or timestamp precisions (a TSD's HTTP put stores a float on 8 bytes that its
         * telnet put, and a restore, store on 4).
         */
        boolean sameValue(int i, RowPoints other, int j) {
            return floatingPoint[i] == other.floatingPoint[j] && bits[i] == other.bits[j];
        }
    }

    /**
     * What to write: the compacted cell (none when no point remains) and the cells to delete, each with the version read
     * (deleted with every older version, never a newer one a TSD writes meanwhile); and what changed, in points.
     */
    record Change(byte[] qualifier, byte[] value, List<RowDecoder.Cell> deletes, int added, int overwritten, int unchanged,
            int deleted, int unreadableCells) {
        /** Whether the row must be written: the merged row is not already the row stored. */
        boolean writes() {
            return qualifier != null || !deletes.isEmpty();
        }
    }

    /** One thread's reusable buffers. */
    static final class Buffers {
        final RowDecoder decoder = new RowDecoder();
        final RowEncoder encoder = new RowEncoder();
        final RowPoints existing = new RowPoints();
        final RowDecoder.Tally tally = new RowDecoder.Tally();
    }

    /**
     * Merges restored points into a row's cells.
     *
     * @param baseSeconds the row's hour
     * @param cells the row's cells as read (none for a new row)
     * @param restored the points to store, in timestamp order, each timestamp once
     * @param replaceFromMs start of the span where the row is to hold exactly the restored points
     * @param replaceToMs its end (exclusive); equal to the start for none
     */
    static Change merge(long baseSeconds, List<RowDecoder.Cell> cells, RowPoints restored, long replaceFromMs, long replaceToMs,
            Buffers buffers) {
        RowPoints existing = buffers.existing;
        existing.clear();
        Set<String> unreadable = new HashSet<>();
        if (!cells.isEmpty()) {
            buffers.decoder.decode(baseSeconds, cells, (ts, ms, fp, bits, width, version) -> existing.add(ts, ms, fp, width, bits),
                    buffers.tally, (qualifier, why) -> unreadable.add(RowDecoder.hex(qualifier)));
        }
        RowEncoder encoder = buffers.encoder;
        encoder.reset();
        long baseMs = baseSeconds * 1000;
        int added = 0;
        int overwritten = 0;
        int unchanged = 0;
        int deleted = 0;
        int i = 0;
        int j = 0;
        while (i < existing.size || j < restored.size) {
            long te = i < existing.size ? existing.timestampMs[i] : Long.MAX_VALUE;
            long tr = j < restored.size ? restored.timestampMs[j] : Long.MAX_VALUE;
            if (tr == te && existing.sameValue(i, restored, j)) { // kept as stored
                unchanged++;
                encoder.add(te - baseMs, existing.milliseconds[i], existing.floatingPoint[i], existing.width[i], existing.bits[i]);
                i++;
                j++;
            } else if (tr <= te) {
                if (tr == te) {
                    overwritten++;
                    i++;
                } else {
                    added++;
                }
                encoder.add(tr - baseMs, restored.milliseconds[j], restored.floatingPoint[j], restored.width[j], restored.bits[j]);
                j++;
            } else {
                if (te >= replaceFromMs && te < replaceToMs) {
                    deleted++;
                } else {
                    encoder.add(te - baseMs, existing.milliseconds[i], existing.floatingPoint[i], existing.width[i], existing.bits[i]);
                }
                i++;
            }
        }
        byte[] qualifier = encoder.points() == 0 ? null : encoder.qualifier();
        byte[] value = encoder.points() == 0 ? null : encoder.value();
        List<RowDecoder.Cell> deletes = new ArrayList<>();
        boolean stored = false;
        for (RowDecoder.Cell cell : cells) {
            if (!holdsPoints(cell.qualifier()) || unreadable.contains(RowDecoder.hex(cell.qualifier()))) {
                continue;
            }
            if (qualifier != null && Arrays.equals(cell.qualifier(), qualifier)) {
                stored = Arrays.equals(cell.value(), value);
                continue; // the put replaces it
            }
            deletes.add(cell);
        }
        if (stored && deletes.isEmpty()) {
            return new Change(null, null, List.of(), added, overwritten, unchanged, deleted, unreadable.size());
        }
        return new Change(qualifier, value, deletes, added, overwritten, unchanged, deleted, unreadable.size());
    }

    /** Data cells (an even-length qualifier: single or compacted) and append cells; not annotations, histograms or others. */
    private static boolean holdsPoints(byte[] qualifier) {
        return qualifier.length > 0 && ((qualifier.length & 1) == 0
                || (qualifier.length == 3 && qualifier[0] == RowDecoder.APPEND_PREFIX));
    }
}
