package io.rewind.baseline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class BackgroundFlushTest {
    @Test
    void aFlushStartsOnlyOnceTheOneBeforeIsDoneSoAReaderHoldsAtMostTwoBuffers() throws Exception {
        AtomicInteger running = new AtomicInteger();
        AtomicInteger most = new AtomicInteger();
        AtomicInteger done = new AtomicInteger();
        try (BackgroundFlush writer = new BackgroundFlush()) {
            for (int i = 0; i < 20; i++) {
                writer.submit(() -> {
                    most.accumulateAndGet(running.incrementAndGet(), Math::max);
                    Thread.yield();
                    running.decrementAndGet();
                    done.incrementAndGet();
                    return null;
                });
            }
            writer.await();
        }
        assertThat(done.get()).isEqualTo(20);
        assertThat(most.get()).isEqualTo(1);
    }

    @Test
    void aFlushThatFailedFailsTheNextHandOverAndAwaitQuietlyOnlyWaits() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        try (BackgroundFlush writer = new BackgroundFlush()) {
            writer.submit(() -> {
                release.await();
                throw new IOException("storage refused the file");
            });
            release.countDown();
            assertThatThrownBy(() -> writer.submit(() -> null)).isInstanceOf(IOException.class).hasMessage("storage refused the file");

            CountDownLatch started = new CountDownLatch(1);
            AtomicInteger finished = new AtomicInteger();
            writer.submit(() -> {
                started.countDown();
                Thread.sleep(50);
                finished.incrementAndGet();
                throw new IllegalStateException("broken");
            });
            started.await();
            writer.awaitQuietly();
            assertThat(finished.get()).as("the flush under way ended before the range is read again").isEqualTo(1);
            writer.await(); // nothing pending any more
        }
    }
}
