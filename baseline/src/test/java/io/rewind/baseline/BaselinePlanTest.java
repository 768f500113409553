package io.rewind.baseline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.rewind.archive.Shard;
import io.rewind.opentsdb.StorageLayout;
import io.rewind.opentsdb.hbase.HBaseCluster;
import io.rewind.opentsdb.hbase.KeyRange;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class BaselinePlanTest {
    private static KeyRange r(int start, int stop) {
        return new KeyRange(start < 0 ? new byte[0] : new byte[] {(byte) start}, stop < 0 ? new byte[0] : new byte[] {(byte) stop});
    }

    @Test
    void aPlanReadsEachWantedPieceOfItsShardsRegionsOnceAndNothingAnEarlierRunFinished() {
        List<HBaseCluster.Region> regions = List.of(new HBaseCluster.Region(r(-1, 10), 100), new HBaseCluster.Region(r(10, 20), 200),
                new HBaseCluster.Region(r(20, 30), 300), new HBaseCluster.Region(r(30, -1), 400));
        List<KeyRange> wanted = List.of(r(5, 12), r(25, 35));
        List<KeyRange> all = new ArrayList<>();
        ShardKeySpace space = new ShardKeySpace(new StorageLayout("zk", "/hbase", "tsdb", "tsdb-uid", 0, 20, 1, 3, 3), 3);
        for (int shard = 0; shard < 3; shard++) {
            all.addAll(ReadPlan.of(regions, space.within(shard, wanted), List.of()).ranges());
        }
        for (int key = 0; key < 256; key++) {
            byte[] k = {(byte) key};
            boolean isWanted = wanted.stream().anyMatch(w -> w.contains(k));
            assertThat(all.stream().filter(u -> u.contains(k)).count()).as("key %d", key).isEqualTo(isWanted ? 1 : 0);
            assertThat(all).filteredOn(u -> u.contains(k)).allMatch(u -> regions.stream().anyMatch(
                    r -> r.range().intersect(u).equals(u)), "within one region");
        }

        ReadPlan rest = ReadPlan.of(regions, wanted, List.of(r(5, 10), r(26, 28)));
        assertThat(rest.ranges()).containsExactly(r(10, 12), r(25, 26), r(28, 30), r(30, 35));
        assertThat(rest.regions()).isEqualTo(3);
        assertThat(rest.bytes()).isEqualTo(900);
    }

    @Test
    void aShardIsIOfN() {
        assertThat(Shard.parse("2/4")).isEqualTo(new Shard(2, 4));
        for (String bad : List.of("4/4", "-1/2", "1", "a/b", "1/0")) {
            assertThatThrownBy(() -> Shard.parse(bad)).hasMessageContaining("--shard " + bad);
        }
    }
}
