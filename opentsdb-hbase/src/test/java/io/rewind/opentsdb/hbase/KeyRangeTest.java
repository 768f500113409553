package io.rewind.opentsdb.hbase;

import static org.assertj.core.api.Assertions.assertThat;

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
}
