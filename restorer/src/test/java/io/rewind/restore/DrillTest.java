package io.rewind.restore;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

/** Which hours a drill restores. */
class DrillTest {
    private static final long H = 3_600_000L;
    private static final long T = 1_763_640_000_000L;

    @Test
    void theLastFullHourAndSeededRandomOlderOnes() {
        List<Long> hours = LongStream.range(0, 48).mapToObj(i -> T + i * H).toList();
        long now = T + 47 * H + 20 * 60_000; // the 48th hour is not full yet

        List<Drill.Sample> samples = Drill.choose(hours, now, 3, 42);

        assertThat(samples).hasSize(4);
        assertThat(samples.get(0)).isEqualTo(new Drill.Sample(T + 46 * H, T + 47 * H, "last full hour"));
        assertThat(samples.subList(1, 4)).allSatisfy(s -> {
            assertThat(s.why()).isEqualTo("random");
            assertThat(s.fromMs()).isLessThan(T + 46 * H);
            assertThat(s.toMs() - s.fromMs()).isEqualTo(H);
        });
        assertThat(samples).doesNotHaveDuplicates();
        assertThat(Drill.choose(hours, now, 3, 42)).isEqualTo(samples);
        assertThat(Drill.choose(hours, now, 3, 43)).isNotEqualTo(samples);
    }

    @Test
    void fewerHoursThanAskedForAndNoneFull() {
        assertThat(Drill.choose(List.of(T, T + H), T + 2 * H, 5, 1)).extracting(Drill.Sample::fromMs).containsExactly(T + H, T);
        assertThat(Drill.choose(List.of(T), T + 60_000, 2, 1))
                .containsExactly(new Drill.Sample(T, T + H, "latest hour (none is full yet)"));
        assertThat(Drill.choose(List.of(), T, 2, 1)).isEmpty();
    }
}
