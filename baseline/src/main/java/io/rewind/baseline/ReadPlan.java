package io.rewind.baseline;

import io.rewind.archive.Shard;
import io.rewind.opentsdb.StorageLayout;
import io.rewind.opentsdb.hbase.HBaseCluster;
import io.rewind.opentsdb.hbase.KeyRange;
import io.rewind.opentsdb.hbase.UidTable;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** What one baseline run reads: the key ranges of its shard, with the bytes of the regions they lie in. */
public record ReadPlan(List<KeyRange> ranges, long bytes, int regions) {
    /** The key ranges to read: the pieces of the shard's wanted keys in each region, less what an earlier run finished. */
    public static ReadPlan of(List<HBaseCluster.Region> regions, List<KeyRange> wanted, List<KeyRange> done) {
        List<KeyRange> ranges = new ArrayList<>();
        long bytes = 0;
        int count = 0;
        for (HBaseCluster.Region region : regions) {
            boolean used = false;
            for (KeyRange w : wanted) {
                KeyRange piece = region.range().intersect(w);
                if (!piece.isEmpty()) {
                    List<KeyRange> left = piece.minus(done);
                    ranges.addAll(left);
                    used |= !left.isEmpty();
                }
            }
            if (used) {
                count++;
                bytes += region.bytes();
            }
        }
        return new ReadPlan(ranges, bytes, count);
    }

    /**
     * The key ranges of the rows a request wants: the whole table, or with metrics (or, for heal, a day or less of every
     * metric of a cluster with few enough) each metric's rows under every salt prefix, from the base hour of its start to
     * that of its end.
     *
     * @param skipUnknown heal: a metric the cluster has no UID for has no rows to read (the cluster never stored a point of it),
     *     and every metric of an hour is read metric by metric; otherwise an unknown metric is refused
     * @throws IllegalArgumentException for a metric the cluster has no UID for, unless skipped
     */
    /** For heal, a time range this short of every metric is read as each metric's rows of it rather than the whole table... */
    static final long NARROW_MS = 24L * 3_600_000L;
    /** ...as long as that makes at most this many key ranges. */
    static final long MAX_NARROW_RANGES = 4_096;

    public static List<KeyRange> wanted(UidTable uids, StorageLayout layout, BaselineRequest request, boolean skipUnknown) throws IOException {
        long fromMs = request.fromMs();
        long toMs = request.toMs();
        boolean narrow = skipUnknown && toMs != Long.MAX_VALUE && toMs - fromMs <= NARROW_MS;
        if (request.metrics().isEmpty() && !narrow) {
            return List.of(KeyRange.ALL);
        }
        List<byte[]> metricUids = new ArrayList<>();
        if (request.metrics().isEmpty()) {
            // Heal of every metric over an hour: each metric's rows of that hour rather than the whole table, while that makes
            // few enough key ranges (each is a scan, and the state records them); past that, the whole table.
            List<byte[]> every = uids.allUids(UidTable.Kind.METRIC);
            if ((long) every.size() * layout.saltPrefixes() > MAX_NARROW_RANGES) {
                return List.of(KeyRange.ALL);
            }
            metricUids.addAll(every);
        }
        for (String metric : request.metrics()) {
            byte[] uid = uids.uid(UidTable.Kind.METRIC, metric);
            if (uid == null && skipUnknown) {
                continue;
            }
            if (uid == null) {
                throw new IllegalArgumentException("--metric " + metric + ": the cluster has no such metric (no UID in " + layout.uidTable() + ")");
            }
            metricUids.add(uid);
        }
        List<KeyRange> ranges = new ArrayList<>();
        long fromSeconds = Math.floorDiv(fromMs, 1000L);
        long fromBase = Math.max(0, fromSeconds - Math.floorMod(fromSeconds, StorageLayout.ROW_SPAN_SECONDS));
        long toBase = toMs == Long.MAX_VALUE ? 0xFFFFFFFFL + 1 : Math.min(0xFFFFFFFFL + 1, Math.floorDiv(toMs - 1, 1000L) + 1);
        for (byte[] uid : metricUids) {
            for (int bucket = 0; bucket < layout.saltPrefixes(); bucket++) {
                byte[] prefix = KeyRange.concat(layout.saltBytes(bucket), uid);
                byte[] start = KeyRange.concat(prefix, fourBytes(fromBase));
                byte[] stop = toBase > 0xFFFFFFFFL ? KeyRange.afterPrefix(prefix) : KeyRange.concat(prefix, fourBytes(toBase));
                ranges.add(new KeyRange(start, stop));
            }
        }
        return ranges;
    }

    /** The part of the wanted keys that a shard reads. */
    public static List<KeyRange> ofShard(StorageLayout layout, Shard shard, List<KeyRange> wanted) {
        return new ShardKeySpace(layout, shard.count()).within(shard.index(), wanted);
    }

    private static byte[] fourBytes(long v) {
        return new byte[] {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v};
    }
}
