package io.rewind.baseline;

import io.rewind.opentsdb.StorageLayout;
import io.rewind.opentsdb.hbase.KeyRange;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * How {@code --shard I/N} splits the data table: by row key, on boundaries that depend only on N and the layout, never on
 * the regions, so that every key belongs to exactly one shard however the regions split or merge between the shards' runs
 * (and between a run and its rerun). A row key is {@code [salt][metric UID][base hour][tag UIDs]}; within each salt bucket
 * the metric UIDs are cut at the powers of two ({@code [0, 2), [2, 4), [4, 8)}, ... to the end of the UID width) and each
 * such octave into N equal parts, part I going to shard I. OpenTSDB hands out metric UIDs from 1 upwards, so each shard
 * gets about 1/N of the metrics whatever their number (at most twice its share, while the highest octave in use fills).
 * Keys no layout writes (before the first bucket, past the last one, too short) belong to a shard all the same.
 */
record ShardKeySpace(StorageLayout layout, int shards) {
    /** The keys of shard {@code shard}, in key order; for one shard, the whole table. */
    List<KeyRange> ranges(int shard) {
        int width = layout.metricWidth();
        BigInteger end = BigInteger.ONE.shiftLeft(8 * width);
        BigInteger n = BigInteger.valueOf(shards);
        int buckets = layout.saltPrefixes();
        List<KeyRange> ranges = new ArrayList<>();
        for (int bucket = 0; bucket < buckets; bucket++) {
            byte[] salt = layout.saltBytes(bucket);
            byte[] bucketStart = bucket == 0 ? new byte[0] : salt;
            byte[] bucketStop = bucket == buckets - 1 ? new byte[0] : layout.saltBytes(bucket + 1);
            for (int octave = 0; octave < 8 * width; octave++) {
                BigInteger low = octave == 0 ? BigInteger.ZERO : BigInteger.ONE.shiftLeft(octave);
                BigInteger size = BigInteger.ONE.shiftLeft(octave + 1).subtract(low);
                BigInteger from = low.add(size.multiply(BigInteger.valueOf(shard)).divide(n));
                BigInteger to = low.add(size.multiply(BigInteger.valueOf(shard + 1L)).divide(n));
                if (from.equals(to)) {
                    continue;
                }
                byte[] start = from.signum() == 0 ? bucketStart : KeyRange.concat(salt, uid(from, width));
                byte[] stop = to.equals(end) ? bucketStop : KeyRange.concat(salt, uid(to, width));
                add(ranges, new KeyRange(start, stop));
            }
        }
        return ranges;
    }

    /** The pieces of the wanted ranges that are shard {@code shard}'s. */
    List<KeyRange> within(int shard, List<KeyRange> wanted) {
        List<KeyRange> mine = ranges(shard);
        List<KeyRange> pieces = new ArrayList<>();
        for (KeyRange w : wanted) {
            for (KeyRange range : mine) {
                KeyRange piece = range.intersect(w);
                if (!piece.isEmpty()) {
                    pieces.add(piece);
                }
            }
        }
        return pieces;
    }

    /** Adds the range, joined to the one before when they meet. */
    private static void add(List<KeyRange> ranges, KeyRange range) {
        KeyRange last = ranges.isEmpty() ? null : ranges.get(ranges.size() - 1);
        if (last != null && last.stop().length > 0 && Arrays.equals(last.stop(), range.start())) {
            ranges.set(ranges.size() - 1, new KeyRange(last.start(), range.stop()));
        } else {
            ranges.add(range);
        }
    }

    private static byte[] uid(BigInteger value, int width) {
        byte[] bytes = new byte[width];
        long v = value.longValue();
        for (int i = width - 1; i >= 0; i--, v >>>= 8) {
            bytes[i] = (byte) v;
        }
        return bytes;
    }
}
