package io.rewind.archiver.storage;

import io.rewind.archive.Ticker;
import io.rewind.archive.segment.SegmentFiles;
import io.rewind.archive.segment.SegmentMetadata;
import io.rewind.archive.segment.SegmentWriter;
import io.rewind.archive.segment.SeriesPoints;
import io.rewind.archive.storage.Backoff;
import io.rewind.archive.storage.Storage;
import io.rewind.archiver.metrics.ArchiverMetrics;
import io.rewind.schema.CatalogRecord;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Iterator;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes part and segment files: the series into a local scratch file, then published to storage
 * (data, then its checksum sidecar), retrying storage failures with backoff for up to the configured
 * time. When it returns, the file is durable; when it throws, the caller must not commit.
 */
public final class ArchiveWriter {
    private static final Logger LOG = LoggerFactory.getLogger(ArchiveWriter.class);
    private final Storage storage;
    private final Path scratchDir;
    private final long retryTimeoutMs;
    private final ArchiverMetrics metrics;
    private final Ticker ticker;

    public ArchiveWriter(Storage storage, Path scratchDir, long retryTimeoutMs, ArchiverMetrics metrics) throws IOException {
        this(storage, scratchDir, retryTimeoutMs, metrics, Ticker.SYSTEM);
    }

    /** A writer whose retries are timed and paused with this ticker. */
    public ArchiveWriter(Storage storage, Path scratchDir, long retryTimeoutMs, ArchiverMetrics metrics, Ticker ticker) throws IOException {
        this.storage = storage;
        this.scratchDir = Files.createDirectories(scratchDir);
        this.retryTimeoutMs = retryTimeoutMs;
        this.metrics = metrics;
        this.ticker = ticker;
    }

    public Storage storage() {
        return storage;
    }

    /** This writer on another view of the same storage (a task's {@link TaskStorage}). */
    public ArchiveWriter on(Storage view) {
        try {
            return new ArchiveWriter(view, scratchDir, retryTimeoutMs, metrics, ticker);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // the scratch directory exists: this writer made it
        }
    }

    /** Writes the series (in file order) under the key with the header; returns the file's catalog record. */
    public CatalogRecord write(String key, SegmentMetadata header, Iterator<SeriesPoints> series) throws IOException {
        Path file = Files.createTempFile(scratchDir, "rewind-", ".avro");
        try {
            SegmentWriter.WrittenFile written;
            try (SegmentWriter writer = new SegmentWriter(file, header)) {
                while (series.hasNext()) {
                    writer.write(series.next());
                }
                written = writer.finish();
            }
            SegmentFiles.Stored stored = retrying("publish " + key, () -> SegmentFiles.publish(storage, key, written));
            metrics.bytesWritten.increment(stored.byteSize());
            return written.metadata().toCatalogRecord(key, stored.byteSize(), stored.sha256());
        } finally {
            Files.deleteIfExists(file);
        }
    }

    /** An operation on storage. */
    @FunctionalInterface
    public interface StorageCall<T> {
        T call() throws IOException;
    }

    /** Runs the storage call, retrying failures with exponential backoff (100 ms to 5 s, jittered) until the retry timeout. */
    public <T> T retrying(String what, StorageCall<T> call) throws IOException {
        long deadline = ticker.nanos() + TimeUnit.MILLISECONDS.toNanos(retryTimeoutMs);
        Backoff backoff = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(5), ticker);
        for (int attempt = 1; ; attempt++) {
            try {
                T result = call.call();
                metrics.storageSucceeded();
                return result;
            } catch (TaskStorage.Revoked e) {
                throw e; // not a storage failure: the task's work ends here
            } catch (IOException | UncheckedIOException e) {
                metrics.error("storage");
                if (ticker.nanos() + TimeUnit.MILLISECONDS.toNanos(backoff.delayMs()) - deadline > 0) {
                    metrics.storageFailed();
                    throw new IOException("Storage " + storage.uri() + " failed to " + what + " for " + retryTimeoutMs / 1000
                            + " s (" + attempt + " attempts): " + e.getMessage(), e);
                }
                LOG.warn("Storage {} failed to {} (attempt {}), retrying in {} ms: {}", storage.uri(), what, attempt, backoff.delayMs(), e.toString());
                try {
                    backoff.pause();
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new IOException("Interrupted while retrying to " + what, ie);
                }
            }
        }
    }
}
