package io.rewind.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.rewind.schema.SeriesKey;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A restore's shards: every series belongs to exactly one of N, and each gets about 1/N of them. */
class ShardTest {
    @Test
    void everySeriesBelongsToExactlyOneShardAndEachGetsItsShare() {
        int n = 4;
        int[] owned = new int[n];
        for (int host = 0; host < 4000; host++) {
            SeriesKey series = SeriesKey.of("sys.cpu.user", Map.of("host", "web" + host, "cpu", Integer.toString(host % 8)));
            int owners = 0;
            for (int i = 0; i < n; i++) {
                if (new Shard(i, n).owns(series)) {
                    owners++;
                    owned[i]++;
                }
            }
            assertThat(owners).as(series.toString()).isEqualTo(1);
            assertThat(Shard.ALL.owns(series)).isTrue();
        }
        for (int count : owned) {
            assertThat(count).as("a shard's share of 4000 series").isBetween(850, 1150);
        }
    }

    @Test
    void theSameSeriesIsInTheSameShardWhateverOrderItsTagsCameIn() {
        java.util.LinkedHashMap<String, String> tags = new java.util.LinkedHashMap<>();
        tags.put("z", "9");
        tags.put("a", "1");
        java.util.LinkedHashMap<String, String> reversed = new java.util.LinkedHashMap<>();
        reversed.put("a", "1");
        reversed.put("z", "9");
        for (int i = 0; i < 7; i++) {
            assertThat(new Shard(i, 7).owns(SeriesKey.of("m", tags))).isEqualTo(new Shard(i, 7).owns(SeriesKey.of("m", reversed)));
        }
    }

    @Test
    void aShardIsGivenAsIOfN() {
        assertThat(Shard.parse("1/3")).isEqualTo(new Shard(1, 3));
        assertThatThrownBy(() -> Shard.parse("3/3")).hasMessageContaining("0 <= I < N");
        assertThatThrownBy(() -> Shard.parse("x")).hasMessageContaining("--shard x");
    }
}
