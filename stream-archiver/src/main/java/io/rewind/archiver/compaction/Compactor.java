package io.rewind.archiver.compaction;

import io.rewind.archive.ArchiveLayout;
import io.rewind.archive.segment.SegmentCorruptException;
import io.rewind.archive.segment.SegmentFiles;
import io.rewind.archive.segment.SegmentMerger;
import io.rewind.archive.segment.SegmentMetadata;
import io.rewind.archive.segment.SegmentReader;
import io.rewind.archive.segment.Supersession;
import io.rewind.archive.storage.Storage;
import io.rewind.archiver.metrics.ArchiverMetrics;
import io.rewind.archiver.storage.ArchiveWriter;
import io.rewind.schema.CatalogRecord;
import io.rewind.schema.FileKind;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.Set;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The storage work on one (window, partition) once its window is closed, each step idempotent, so a
 * crash anywhere leaves the files valid and a rerun finishes the job:
 * <ol>
 *   <li>{@link #compact}: merges the live files (the latest segment, if any, and the parts it does not
 *       supersede) into segment generation n + 1, sorted, every distinct version kept (guarantee 4),
 *       superseding every other data file of the window;</li>
 *   <li>{@link #deleteSuperseded}: deletes the files the latest segment supersedes, after the caller's
 *       delay, never a file that no segment supersedes.</li>
 * </ol>
 */
public final class Compactor {
    private static final Logger LOG = LoggerFactory.getLogger(Compactor.class);
    private final ArchiveWriter writer;
    private final String topic;
    private final long windowSizeMs;
    private final ArchiverMetrics metrics;

    public Compactor(ArchiveWriter writer, String topic, long windowSizeMs, ArchiverMetrics metrics) {
        this.writer = writer;
        this.topic = topic;
        this.windowSizeMs = windowSizeMs;
        this.metrics = metrics;
    }

    /** This compactor writing through another view of the storage (a task's {@code TaskStorage}). */
    public Compactor on(Storage view) {
        return new Compactor(writer.on(view), topic, windowSizeMs, metrics);
    }

    /** The outcome of compacting a window: its current segment's catalog record, and the files it supersedes. */
    public record Compacted(long windowStartMs, int partition, CatalogRecord segment, List<String> superseded, boolean written) {
    }

    /** A data file of the window and its header. */
    private record WindowFile(String key, ArchiveLayout.FileName name, SegmentMetadata header, boolean published) {
    }

    /** Compacts the window's live files into a new segment; when the latest segment is already all there is, returns it unchanged. */
    public Optional<Compacted> compact(long windowStartMs, int partition) throws IOException {
        long started = System.nanoTime();
        List<WindowFile> files = files(windowStartMs, partition);
        if (files.isEmpty()) {
            return Optional.empty();
        }
        List<WindowFile> live = Supersession.live(files, WindowFile::key, WindowFile::published, WindowFile::header);
        // A file whose publication did not finish (no sidecar): one whose offsets checked files cover holds nothing they lack,
        // and is superseded unread; one they do not cover (a crash's part whose points no later part holds yet) was put whole,
        // atomically, by an archiver: it is merged, so that its points are kept, and counted.
        Set<WindowFile> covered = Supersession.coveredUnpublished(files, WindowFile::key, WindowFile::published, WindowFile::header);
        for (WindowFile file : live) {
            if (!file.published() && !covered.contains(file)) {
                metrics.error("unchecked-file");
                LOG.warn("Merging {} into the compaction of window {} partition {} without a checksum: it has no sidecar and no checked"
                        + " file holds its offsets {}-{}", file.key(), windowStartMs, partition, file.header().firstOffset(),
                        file.header().lastOffset());
            }
        }
        List<WindowFile> merged = live.stream().filter(f -> !covered.contains(f)).toList();
        Optional<WindowFile> latest = latestSegment(files.stream().filter(WindowFile::published).toList());
        if (live.size() == 1 && latest.isPresent() && live.get(0).equals(latest.get())) {
            WindowFile segment = latest.get();
            long size = writer.retrying("stat " + segment.key(), () -> writer.storage().stat(segment.key())).orElseThrow().size();
            String sha = writer.retrying("read sidecar of " + segment.key(), () -> SegmentFiles.sidecarSha256(writer.storage(), segment.key()))
                    .orElseThrow();
            return Optional.of(new Compacted(windowStartMs, partition, segment.header().toCatalogRecord(segment.key(), size, sha),
                    segment.header().supersedes(), false));
        }
        int generation = latestSegment(files).map(f -> f.name().generation() + 1).orElse(1);
        long first = merged.stream().mapToLong(f -> f.header().firstOffset()).min().orElse(0);
        long last = merged.stream().mapToLong(f -> f.header().lastOffset()).max().orElse(0);
        String key = ArchiveLayout.segment(topic, windowStartMs, windowSizeMs, partition, generation);
        SegmentMetadata header = SegmentMetadata.of(FileKind.SEGMENT, topic, partition, windowStartMs, windowStartMs + windowSizeMs,
                first, last, generation, files.stream().map(WindowFile::key).toList());
        List<SegmentReader> readers = new ArrayList<>();
        CatalogRecord record;
        try {
            List<WindowFile> inArrivalOrder = new ArrayList<>(merged);
            inArrivalOrder.sort(java.util.Comparator.comparing(WindowFile::header, SegmentMetadata.ARRIVAL_ORDER));
            for (WindowFile file : inArrivalOrder) {
                readers.add(writer.retrying("open " + file.key(), () -> SegmentFiles.open(writer.storage(), file.key(), id -> true,
                        file.published() ? writer.storage().readPolicy() : writer.storage().readPolicy().allowingUnchecked())));
            }
            record = writer.write(key, header, SegmentMerger.allVersions(readers));
        } finally {
            for (SegmentReader reader : readers) {
                reader.close();
            }
        }
        metrics.segmentsWritten.increment();
        metrics.compactionLatency.record(System.nanoTime() - started, java.util.concurrent.TimeUnit.NANOSECONDS);
        LOG.info("Compacted {} files of window {} partition {} into {} ({} points)", live.size(), windowStartMs, partition, key,
                record.getPointCount());
        return Optional.of(new Compacted(windowStartMs, partition, record, header.supersedes(), true));
    }

    /**
     * Deletes those of the paths that the window's latest segment supersedes, each with its sidecar, and
     * returns the ones deleted. A path no segment supersedes stays: it may be the only copy of its points.
     */
    public List<String> deleteSuperseded(long windowStartMs, int partition, List<String> paths) throws IOException {
        List<WindowFile> files = files(windowStartMs, partition);
        List<String> superseded = latestSegment(files.stream().filter(WindowFile::published).toList())
                .map(f -> f.header().supersedes()).orElse(List.of());
        List<String> deleted = new ArrayList<>();
        Set<String> present = new HashSet<>(files.stream().map(WindowFile::key).toList());
        for (String path : paths) {
            if (present.contains(path) && !superseded.contains(path)) {
                LOG.warn("Not deleting {}: the latest segment of its window does not supersede it", path);
                continue;
            }
            writer.retrying("delete " + path, () -> {
                SegmentFiles.delete(writer.storage(), path);
                return null;
            });
            metrics.filesDeleted.increment();
            deleted.add(path);
        }
        return deleted;
    }

    /**
     * Retention: deletes this partition's data files (and sidecars) of every window that ended at or
     * before the cutoff, listing the archive in time order and stopping at the cutoff's hour.
     * Returns the deleted data files.
     */
    public List<String> deleteExpired(int partition, long cutoffMs) throws IOException {
        Storage storage = writer.storage();
        String root = ArchiveLayout.VERSION + "/" + topic + "/";
        String stop = ArchiveLayout.hourPrefix(topic, cutoffMs);
        List<String> expired = writer.retrying("list " + root, () -> {
            try (Stream<Storage.ObjectInfo> listed = storage.list(root)) {
                return listed.map(Storage.ObjectInfo::key).takeWhile(key -> key.compareTo(stop) < 0)
                        .filter(key -> ArchiveLayout.parse(key).filter(name -> name.partition() == partition
                                && name.windowStartMs() + windowSizeMs <= cutoffMs).isPresent())
                        .toList();
            }
        });
        for (String key : expired) {
            writer.retrying("delete " + key, () -> {
                SegmentFiles.delete(storage, key);
                return null;
            });
            metrics.filesDeleted.increment();
        }
        if (!expired.isEmpty()) {
            LOG.info("Retention: deleted {} files of partition {} whose windows ended before {}", expired.size(), partition,
                    java.time.Instant.ofEpochMilli(cutoffMs));
        }
        return expired;
    }

    /** The data files of the window with a readable header. */
    private List<WindowFile> files(long windowStartMs, int partition) throws IOException {
        Storage storage = writer.storage();
        String directory = ArchiveLayout.directory(topic, windowStartMs, windowSizeMs, partition);
        List<String> keys = writer.retrying("list " + directory, () -> {
            try (Stream<Storage.ObjectInfo> listed = storage.list(directory)) {
                return listed.map(Storage.ObjectInfo::key).toList();
            }
        });
        Set<String> listed = new HashSet<>(keys);
        List<WindowFile> files = new ArrayList<>();
        for (String key : keys) {
            Optional<ArchiveLayout.FileName> name = ArchiveLayout.parse(key);
            if (name.isEmpty()) {
                continue; // a sidecar or a foreign object
            }
            // A data file without its sidecar is one whose publication a crash interrupted after the data was put (or whose
            // sidecar was lost): it supersedes nothing, and is merged only as far as checked files hold its points.
            try {
                SegmentMetadata header = writer.retrying("read header of " + key, () -> SegmentFiles.readHeader(storage, key));
                files.add(new WindowFile(key, name.get(), header, listed.contains(key + SegmentFiles.SIDECAR_SUFFIX)));
            } catch (SegmentCorruptException e) {
                metrics.error("corrupt-file");
                LOG.error("Leaving out an unreadable file of window {} partition {}: {}", windowStartMs, partition, e.getMessage());
            }
        }
        return files;
    }

    private static Optional<WindowFile> latestSegment(List<WindowFile> files) {
        return files.stream().filter(f -> f.name().segment()).max(Comparator.comparingInt(f -> f.name().generation()));
    }
}
