package io.rewind.restore.targets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.rewind.archive.storage.Backoff;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** A batch written straight into storage and tried again after a storage error (HBase's, played by IllegalStateException). */
class StorageTargetRetryTest {
    private final List<StorageTarget.Refused> reported = new ArrayList<>();
    private final AtomicInteger tries = new AtomicInteger();
    private final AtomicLong retries = new AtomicLong();

    @Test
    void aBatchTriedAgainReportsEachPointOpenTsdbRefusedOnce() throws Exception {
        int refused = StorageTarget.retried(3, backoff(), retries, IllegalStateException.class::isInstance, points -> {
            points.add(new StorageTarget.Refused(null, 7, new IllegalArgumentException("Invalid tag value")));
            if (tries.incrementAndGet() == 1) {
                throw new IllegalStateException("the region moved");
            }
        }, reported::add);
        assertThat(refused).isEqualTo(1);
        assertThat(reported).extracting(StorageTarget.Refused::i).containsExactly(7);
        assertThat(retries.get()).isEqualTo(1);
    }

    @Test
    void aBatchStorageKeepsFailingGivesUpAfterItsAttemptsReportingNothing() {
        assertThatThrownBy(() -> StorageTarget.retried(3, backoff(), retries, IllegalStateException.class::isInstance, points -> {
            points.add(new StorageTarget.Refused(null, 7, new IllegalArgumentException("Invalid tag value")));
            tries.incrementAndGet();
            throw new IllegalStateException("the region server is down");
        }, reported::add)).isInstanceOf(TargetUnavailableException.class).hasMessageContaining("after 3 attempts")
                .hasMessageContaining("the region server is down");
        assertThat(tries.get()).isEqualTo(3);
        assertThat(reported).isEmpty();
    }

    private static Backoff backoff() {
        return new Backoff(Duration.ofMillis(1), Duration.ofMillis(2));
    }
}
