package io.rewind.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RateLimitTest {
    @Test
    void unitsTakenFromSeveralThreadsNeverGoFasterThanTheLimit() throws Exception {
        RateLimit limit = RateLimit.of(20_000);
        long started = System.nanoTime();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            Thread thread = new Thread(() -> {
                try {
                    for (int i = 0; i < 50; i++) {
                        limit.acquire(50); // 4 × 50 × 50 = 10,000 units: at least 0.5 s less the burst of 0.1 s
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            threads.add(thread);
            thread.start();
        }
        for (Thread thread : threads) {
            thread.join();
        }
        assertThat((System.nanoTime() - started) / 1e9).isGreaterThanOrEqualTo(0.5);
    }

    @Test
    void unitsTakeExactlyTheirTimeAtTheRateAndAnIdleBucketLendsATenthOfASecondAtMost() throws Exception {
        // Time moves only when the limit waits, or when the test says it passed: the waits are the rule's, on any machine.
        long[] nanos = {0};
        Ticker clock = new Ticker() {
            @Override
            public long nanos() {
                return nanos[0];
            }

            @Override
            public void sleep(long pause) {
                nanos[0] += pause;
            }
        };
        RateLimit limit = RateLimit.of(20_000, clock);
        for (int i = 0; i < 200; i++) {
            limit.acquire(50); // 10,000 units from an empty bucket: half a second, not less, not more
        }
        assertThat(nanos[0] / 1e9).isCloseTo(0.5, org.assertj.core.data.Offset.offset(1e-6));

        nanos[0] += 5_000_000_000L; // five idle seconds fill the bucket to its tenth of a second, no further
        long before = nanos[0];
        for (int i = 0; i < 200; i++) {
            limit.acquire(50);
        }
        assertThat((nanos[0] - before) / 1e9).isCloseTo(0.4, org.assertj.core.data.Offset.offset(1e-6));
    }

    @Test
    void noLimitNeverWaitsAndANegativeOneIsRefused() throws Exception {
        RateLimit none = RateLimit.of(0);
        none.acquire(Long.MAX_VALUE);
        assertThat(none.limited()).isFalse();
        assertThatThrownBy(() -> RateLimit.of(-1)).isInstanceOf(IllegalArgumentException.class);
    }
}
