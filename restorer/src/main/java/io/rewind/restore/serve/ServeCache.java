package io.rewind.restore.serve;

import io.rewind.archive.segment.SegmentFiles;
import io.rewind.archive.segment.SegmentMetadata;
import io.rewind.archive.segment.SegmentReader;
import io.rewind.archive.segment.SeriesPoints;
import io.rewind.archive.storage.ForwardingStorage;
import io.rewind.archive.storage.Storage;
import java.io.IOException;
import java.util.stream.Stream;
import io.rewind.restore.source.ArchiveIndex;
import io.rewind.restore.source.SelectionReader;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What {@code serve} keeps between queries, since a published file never changes under its key: each file's header, and
 * the decoded series of each (file, metric) a query read, checked once against the file's sidecar (guarantee 12) and
 * then answered from memory; the least recently used go first once they hold more than the budget's points.
 */
final class ServeCache {
    private static final int MAX_HEADERS = 500_000;
    private final long maxPoints;
    private final Map<String, SegmentMetadata> headers = new ConcurrentHashMap<>();
    private final LinkedHashMap<String, List<SeriesPoints>> series = new LinkedHashMap<>(256, 0.75f, true);
    private long points;

    ServeCache(long maxPoints) {
        this.maxPoints = maxPoints;
    }

    ArchiveIndex.Headers headers() {
        return (storage, key, size) -> {
            String id = key + "@" + size;
            SegmentMetadata known = headers.get(id);
            if (known != null) {
                return known;
            }
            SegmentMetadata header = SegmentFiles.readHeader(storage, key);
            if (headers.size() >= MAX_HEADERS) {
                headers.clear();
            }
            headers.put(id, header);
            return header;
        };
    }

    /** Opens a file's series of one metric that {@code wanted} keeps, from the cache, or reads, checks and keeps them all. */
    SelectionReader.FileOpener opener(String metric, java.util.function.Predicate<io.rewind.archive.segment.SeriesId> wanted) {
        return (storage, file, filter) -> {
            String key = file.key();
            String id = identity(file) + "\n" + metric;
            List<SeriesPoints> cached;
            synchronized (this) {
                cached = series.get(id);
            }
            if (cached == null) {
                List<SeriesPoints> read = read(storage, file, metric);
                long n = read.stream().mapToLong(SeriesPoints::size).sum();
                cached = List.copyOf(read);
                synchronized (this) {
                    if (series.put(id, cached) == null) {
                        points += n;
                    }
                    Iterator<Map.Entry<String, List<SeriesPoints>>> oldest = series.entrySet().iterator();
                    while (points > maxPoints && oldest.hasNext()) {
                        Map.Entry<String, List<SeriesPoints>> e = oldest.next();
                        if (e.getKey().equals(id)) {
                            continue;
                        }
                        points -= e.getValue().stream().mapToLong(SeriesPoints::size).sum();
                        oldest.remove();
                    }
                }
            }
            return cached.stream().filter(s -> filter.test(s.id()) && wanted.test(s.id())).iterator();
        };
    }

    /**
     * The storage, its listings kept for {@value #LISTING_TTL_MS} ms: a dashboard's queries, sent together, list the same hours
     * once. The archive commits every half minute or so; a listing that young misses nothing it would have shown.
     */
    Storage listings(Storage storage) {
        return new ForwardingStorage(storage) {
            @Override
            public Stream<ObjectInfo> list(String prefix) throws IOException {
                long now = System.currentTimeMillis();
                Listing known = listings.get(prefix);
                if (known == null || now - known.atMs() > LISTING_TTL_MS) {
                    try (Stream<ObjectInfo> fresh = super.list(prefix)) {
                        known = new Listing(now, fresh.toList());
                    }
                    if (listings.size() > 100_000) {
                        listings.clear();
                    }
                    listings.put(prefix, known);
                }
                return known.objects().stream();
            }
        };
    }

    private record Listing(long atMs, List<Storage.ObjectInfo> objects) {
    }

    static final long LISTING_TTL_MS = 2_000;
    private final Map<String, Listing> listings = new ConcurrentHashMap<>();

    /** Files indexed whole at most: above, a file is read whole on each use its decoded series are not in the cache. */
    static final long MAX_INDEXED_BYTES = 64L << 20;
    private final Map<String, BlockIndex> indexes = new ConcurrentHashMap<>();
    private long indexedReads;

    /**
     * A file's series of one metric: through its block index when there is one (only the blocks that can hold the metric,
     * each checked against its recorded checksum); else the file read whole and checked against its sidecar, and indexed
     * then. An encrypted file, one without sidecar (as the read policy allows) or a very large one is read as a restore
     * reads it, whole each time.
     */
    private List<SeriesPoints> read(Storage storage, io.rewind.restore.source.ArchiveIndex.StoredFile file, String metric) throws IOException {
        String key = file.key();
        java.util.function.Predicate<io.rewind.archive.segment.SeriesId> ofMetric = id -> id.key().metric().equals(metric);
        BlockIndex index = indexes.get(identity(file));
        if (index != null) {
            synchronized (this) {
                indexedReads++;
            }
            try {
                return index.read(storage, metric, ofMetric);
            } catch (io.rewind.archive.segment.SegmentCorruptException changed) {
                // Its bytes are not the ones indexed (a baseline rerun republishes its keys): read it whole, checked against its
                // sidecar as a restore does, and index it again.
                indexes.remove(identity(file));
            }
        }
        java.util.Optional<String> sha = storage.cipher().isPresent() ? java.util.Optional.empty() : SegmentFiles.sidecarSha256(storage, key);
        java.util.Optional<Storage.ObjectInfo> info = sha.isPresent() ? storage.stat(key) : java.util.Optional.empty();
        if (sha.isEmpty() || info.isEmpty() || info.get().size() > MAX_INDEXED_BYTES) {
            List<SeriesPoints> read = new ArrayList<>();
            try (SegmentReader reader = SegmentFiles.open(storage, key, ofMetric)) {
                while (reader.hasNext()) {
                    read.add(reader.next());
                }
            }
            return read;
        }
        byte[] bytes;
        try (java.io.InputStream in = storage.get(key)) {
            bytes = in.readAllBytes();
        }
        String actual = java.util.HexFormat.of().formatHex(io.rewind.archive.Sha256.digest().digest(bytes));
        if (!actual.equalsIgnoreCase(sha.get())) {
            throw new io.rewind.archive.segment.SegmentCorruptException(key, "end, byte " + bytes.length, "SHA-256 " + actual
                    + " does not match the expected " + sha.get(), null);
        }
        List<SeriesPoints> read = new ArrayList<>();
        try (SegmentReader reader = new SegmentReader(key, new java.io.ByteArrayInputStream(bytes), java.util.Optional.empty(), ofMetric)) {
            SegmentFiles.checkName(key, reader.metadata());
            while (reader.hasNext()) {
                read.add(reader.next());
            }
        }
        indexes.put(identity(file), BlockIndex.of(key, bytes)); // the bytes were checked whole just now
        if (indexes.size() > 200_000) {
            indexes.clear();
        }
        return read;
    }

    /**
     * What a file is, for the caches: its key, and the size and header the listing found (a key a baseline rerun republished
     * with other points is another file).
     */
    private static String identity(io.rewind.restore.source.ArchiveIndex.StoredFile file) {
        return file.key() + "@" + file.size() + "/" + file.header().pointCount() + "/" + file.header().ingestTimeMaxMs();
    }

    synchronized long indexedReads() {
        return indexedReads;
    }



}
