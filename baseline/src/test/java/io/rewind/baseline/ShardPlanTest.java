package io.rewind.baseline;

import static org.assertj.core.api.Assertions.assertThat;

import io.rewind.opentsdb.StorageLayout;
import io.rewind.opentsdb.hbase.HBaseCluster;
import io.rewind.opentsdb.hbase.KeyRange;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** Shards that see the table's regions at different moments still read, together, every wanted key once. */
class ShardPlanTest {
    private static byte[] key(Random random) {
        byte[] k = new byte[1 + random.nextInt(6)];
        random.nextBytes(k);
        return k;
    }

    /** Regions with random boundaries: a table as one shard saw it. */
    private static List<HBaseCluster.Region> regions(TreeSet<byte[]> bounds) {
        List<HBaseCluster.Region> regions = new ArrayList<>();
        byte[] start = new byte[0];
        for (byte[] b : bounds) {
            regions.add(new HBaseCluster.Region(new KeyRange(start, b), 1));
            start = b;
        }
        regions.add(new HBaseCluster.Region(new KeyRange(start, new byte[0]), 1));
        return regions;
    }

    @Test
    void eachShardGetsAShareOfTheMetricsOpenTsdbHandsOutFromOneUpwards() {
        StorageLayout layout = new StorageLayout("zk", "/hbase", "tsdb", "tsdb-uid", 0, 20, 3, 3, 3);
        for (int metrics : new int[] {100, 5_000, 70_000}) {
            for (int shards : new int[] {2, 3, 8}) {
                ShardKeySpace space = new ShardKeySpace(layout, shards);
                for (int shard = 0; shard < shards; shard++) {
                    List<KeyRange> mine = space.ranges(shard);
                    long held = java.util.stream.IntStream.rangeClosed(1, metrics)
                            .filter(uid -> mine.stream().anyMatch(r -> r.contains(new byte[] {(byte) (uid >>> 16), (byte) (uid >>> 8), (byte) uid, 0})))
                            .count();
                    assertThat(held).as("%d metrics, shard %d of %d", metrics, shard, shards).isBetween((long) metrics / shards / 3,
                            2L * metrics / shards + 2);
                }
            }
        }
        assertThat(new ShardKeySpace(layout, 1).ranges(0)).containsExactly(KeyRange.ALL);
    }

    @Test
    void shardsThatSawTheRegionsBeforeAndAfterASplitTogetherReadEveryWantedKeyOnce() {
        Random random = new Random(32);
        for (int round = 0; round < 500; round++) {
            int shards = 2 + random.nextInt(3);
            int salt = random.nextInt(2);
            ShardKeySpace space = new ShardKeySpace(new StorageLayout("zk", "/hbase", "tsdb", "tsdb-uid", salt, 1 + random.nextInt(salt == 0 ? 1 : 12),
                    1 + random.nextInt(3), 3, 3), shards);
            TreeSet<byte[]> bounds = new TreeSet<>(java.util.Arrays::compareUnsigned);
            for (int i = random.nextInt(8); i > 0; i--) {
                bounds.add(key(random));
            }
            List<KeyRange> all = new ArrayList<>();
            for (int shard = 0; shard < shards; shard++) {
                for (int i = random.nextInt(3); i > 0; i--) {
                    bounds.add(key(random)); // regions split between one shard's snapshot and the next one's
                }
                all.addAll(ReadPlan.of(regions(bounds), space.within(shard, List.of(KeyRange.ALL)), List.of()).ranges());
            }
            assertThat(KeyRange.ALL.minus(all)).as("round %d: keys no shard reads", round).isEmpty();
            for (int i = 0; i < 200; i++) {
                byte[] k = key(random);
                assertThat(all.stream().filter(u -> u.contains(k)).count()).as("round %d: shards reading one key", round).isEqualTo(1);
            }
        }
    }
}
