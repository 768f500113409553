package io.rewind.baseline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.rewind.opentsdb.StorageLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class KeyRangeTest {
    private static KeyRange r(int start, int stop) {
        return new KeyRange(start < 0 ? new byte[0] : new byte[] {(byte) start}, stop < 0 ? new byte[0] : new byte[] {(byte) stop});
    }

    @Test
    void whatIsLeftOfARangeIsExactlyItsKeysThatNoDoneRangeHolds() {
        Random random = new Random(7);
        for (int round = 0; round < 2_000; round++) {
            int a = random.nextInt(40);
            KeyRange range = random.nextInt(5) == 0 ? r(-1, -1) : r(a, a + 1 + random.nextInt(40));
            List<KeyRange> done = new ArrayList<>();
            for (int i = random.nextInt(5); i > 0; i--) {
                int s = random.nextInt(90);
                done.add(random.nextInt(8) == 0 ? r(s, -1) : r(s, s + 1 + random.nextInt(20)));
            }
            List<KeyRange> left = range.minus(done);
            for (int key = 0; key < 128; key++) {
                byte[] k = {(byte) key};
                boolean wanted = range.contains(k) && done.stream().noneMatch(d -> d.contains(k));
                long holding = left.stream().filter(l -> l.contains(k)).count();
                assertThat(holding).as("key %d of %s less %s: %s", key, range, done, left).isEqualTo(wanted ? 1 : 0);
            }
            assertThat(left).noneMatch(KeyRange::isEmpty);
        }
    }

    @Test
    void aPlanReadsEachWantedPieceOfItsShardsRegionsOnceAndNothingAnEarlierRunFinished() {
        List<HBaseCluster.Region> regions = List.of(new HBaseCluster.Region(r(-1, 10), 100), new HBaseCluster.Region(r(10, 20), 200),
                new HBaseCluster.Region(r(20, 30), 300), new HBaseCluster.Region(r(30, -1), 400));
        List<KeyRange> wanted = List.of(r(5, 12), r(25, 35));
        List<KeyRange> all = new ArrayList<>();
        ShardKeySpace space = new ShardKeySpace(new StorageLayout("zk", "/hbase", "tsdb", "tsdb-uid", 0, 20, 1, 3, 3), 3);
        for (int shard = 0; shard < 3; shard++) {
            all.addAll(BaselineCommand.plan(regions, space.within(shard, wanted), List.of()).units());
        }
        for (int key = 0; key < 256; key++) {
            byte[] k = {(byte) key};
            boolean isWanted = wanted.stream().anyMatch(w -> w.contains(k));
            assertThat(all.stream().filter(u -> u.contains(k)).count()).as("key %d", key).isEqualTo(isWanted ? 1 : 0);
            assertThat(all).filteredOn(u -> u.contains(k)).allMatch(u -> regions.stream().anyMatch(
                    r -> r.range().intersect(u).equals(u)), "within one region");
        }

        BaselineCommand.Plan rest = BaselineCommand.plan(regions, wanted, List.of(r(5, 10), r(26, 28)));
        assertThat(rest.units()).containsExactly(r(10, 12), r(25, 26), r(28, 30), r(30, 35));
        assertThat(rest.regions()).isEqualTo(3);
        assertThat(rest.bytes()).isEqualTo(900);
    }

    @Test
    void aShardIsIOfN() {
        assertThat(BaselineCommand.parseShard("2/4")).containsExactly(2, 4);
        for (String bad : List.of("4/4", "-1/2", "1", "a/b", "1/0")) {
            assertThatThrownBy(() -> BaselineCommand.parseShard(bad)).hasMessageContaining("--shard " + bad);
        }
    }
}
