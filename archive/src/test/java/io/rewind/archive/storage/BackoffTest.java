package io.rewind.archive.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class BackoffTest {
    @Test
    void theDelayDoublesAfterEachPauseUpToTheMaximum() throws InterruptedException {
        Backoff backoff = new Backoff(Duration.ofMillis(1), Duration.ofMillis(6));
        List<Long> delays = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            delays.add(backoff.delayMs());
            backoff.pause();
        }
        assertThat(delays).containsExactly(1L, 2L, 4L, 6L, 6L);
        assertThat(backoff.delayMs()).isEqualTo(6);
    }
}
