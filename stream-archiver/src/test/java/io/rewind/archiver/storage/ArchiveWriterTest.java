package io.rewind.archiver.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.rewind.archive.Ticker;
import io.rewind.archive.storage.local.LocalStorage;
import io.rewind.archiver.metrics.ArchiverMetrics;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ArchiveWriterTest {
    @TempDir
    Path dir;

    private double storageErrors(ArchiverMetrics metrics) {
        return metrics.registry().counter("rewind.archiver.errors", "kind", "storage").count();
    }

    @Test
    void aStorageCallThatFailsAFewTimesIsRetriedUntilItSucceedsAndEveryFailureIsCounted() throws IOException {
        ArchiverMetrics metrics = new ArchiverMetrics(new SimpleMeterRegistry());
        ArchiveWriter writer = new ArchiveWriter(new LocalStorage(dir.resolve("archive")), dir.resolve("scratch"), 60_000, metrics);
        AtomicInteger calls = new AtomicInteger();
        String result = writer.retrying("stat a key", () -> {
            if (calls.incrementAndGet() < 3) {
                throw new IOException("storage unreachable");
            }
            return "stat";
        });
        assertThat(result).isEqualTo("stat");
        assertThat(calls).hasValue(3);
        assertThat(storageErrors(metrics)).isEqualTo(2);
        assertThat(metrics.lastStorageSuccessMs.get()).isPositive();
        assertThat(metrics.lastStorageFailureMs.get()).isZero();
    }

    @Test
    void aStorageCallStillFailingAtTheRetryTimeoutFailsWithWhatItTriedAndTheLastError() throws IOException {
        ArchiverMetrics metrics = new ArchiverMetrics(new SimpleMeterRegistry());
        // Time moves only when the writer pauses: the attempts are those of the rule, whatever the machine's load.
        AtomicLong nanos = new AtomicLong();
        Ticker clock = new Ticker() {
            @Override
            public long nanos() {
                return nanos.get();
            }

            @Override
            public void sleep(long pause) {
                nanos.addAndGet(pause);
            }
        };
        ArchiveWriter writer = new ArchiveWriter(new LocalStorage(dir.resolve("archive")), dir.resolve("scratch"), 1_000, metrics, clock);
        AtomicInteger calls = new AtomicInteger();
        assertThatThrownBy(() -> writer.retrying("list windows", () -> {
            calls.incrementAndGet();
            throw new IOException("storage unreachable");
        })).isInstanceOf(IOException.class)
                .hasMessageContaining("failed to list windows")
                .hasMessageContaining("(4 attempts)")
                .hasMessageEndingWith("storage unreachable");
        // Pauses of 50-100, 100-200 and 200-400 ms (half to all of 100, 200, 400): a fourth would end past the 1 s.
        assertThat(calls.get()).isEqualTo(4);
        assertThat(TimeUnit.NANOSECONDS.toMillis(nanos.get())).as("time paused").isBetween(350L, 700L);
        assertThat(storageErrors(metrics)).isEqualTo(4);
        assertThat(metrics.lastStorageFailureMs.get()).isPositive();
    }
}
