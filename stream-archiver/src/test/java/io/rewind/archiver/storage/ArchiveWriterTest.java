package io.rewind.archiver.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.rewind.archive.storage.local.LocalStorage;
import io.rewind.archiver.metrics.ArchiverMetrics;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
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
        ArchiveWriter writer = new ArchiveWriter(new LocalStorage(dir.resolve("archive")), dir.resolve("scratch"), 1_000, metrics);
        AtomicInteger calls = new AtomicInteger();
        assertThatThrownBy(() -> writer.retrying("list windows", () -> {
            calls.incrementAndGet();
            throw new IOException("storage unreachable");
        })).isInstanceOf(IOException.class)
                .hasMessageContaining("failed to list windows")
                .hasMessageContaining("(" + calls.get() + " attempts)")
                .hasMessageEndingWith("storage unreachable");
        assertThat(calls.get()).as("attempts in 1 s, 100 ms apart at first").isGreaterThan(1);
        assertThat(storageErrors(metrics)).isEqualTo(calls.get());
        assertThat(metrics.lastStorageFailureMs.get()).isPositive();
    }
}
