package io.rewind.restore.source;

import io.rewind.archive.ArchiveLayout;
import io.rewind.archive.segment.SegmentCorruptException;
import io.rewind.archive.segment.SegmentFiles;
import io.rewind.archive.segment.SegmentMetadata;
import io.rewind.archive.segment.SeriesPoints;
import io.rewind.archive.segment.Supersession;
import io.rewind.archive.storage.Storage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

/**
 * What the archive holds, found from storage alone (guarantee 5): its data files grouped by
 * (window, partition), with the metadata each file's header carries, and which of them are live.
 * A segment supersedes the parts (and older segment) its header names; every other file is live,
 * so a part written after its window was compacted is restored too (guarantee 3). Live files may
 * overlap where a crash left an orphan part; the merge reads each version once (guarantee 2).
 */
public final class ArchiveIndex {
    /** Windows longer than this may start before a restore's first listed hour and be missed. */
    public static final long MAX_WINDOW_MS = 24 * ArchiveLayout.HOUR_MS;

    private final List<Unit> units;
    private final List<String> sidecarsWithoutData;
    private final List<String> unknown;

    private ArchiveIndex(List<Unit> units, List<String> sidecarsWithoutData, List<String> unknown) {
        this.units = units;
        this.sidecarsWithoutData = sidecarsWithoutData;
        this.unknown = unknown;
    }

    /** A data file in storage, its header, and whether its checksum sidecar exists. */
    public record StoredFile(String key, ArchiveLayout.FileName name, long size, boolean hasSidecar, SegmentMetadata header) {
        public boolean segment() {
            return name.segment();
        }
    }

    /**
     * Points of a unit read from the points topic past the archive ({@link KafkaTail}), in series order, and which offsets
     * they come from ({@code p3:120-450}).
     */
    public record UnitTail(List<SeriesPoints> series, String offsets) {
        public static final UnitTail NONE = new UnitTail(List.of(), "");

        public long points() {
            return series.stream().mapToLong(SeriesPoints::size).sum();
        }
    }

    /**
     * The files of one (window, partition), in listing order, and which of them a restore reads; and, in a restore with
     * the Kafka tail, the tail's points of the unit.
     */
    public record Unit(String directory, String topic, long windowStartMs, long windowEndMs, int partition,
            List<StoredFile> files, List<StoredFile> live, UnitTail tail) {

        public Unit(String directory, String topic, long windowStartMs, long windowEndMs, int partition, List<StoredFile> files,
                List<StoredFile> live) {
            this(directory, topic, windowStartMs, windowEndMs, partition, files, live, UnitTail.NONE);
        }

        public Unit withTail(UnitTail tail) {
            return new Unit(directory, topic, windowStartMs, windowEndMs, partition, files, live, tail);
        }

        /** Points of the live files, and of the tail. */
        public long livePoints() {
            return live.stream().mapToLong(f -> f.header().pointCount()).sum() + tail.points();
        }

        public long eventTimeMinMs() {
            long files = live.stream().mapToLong(f -> f.header().eventTimeMinMs()).min().orElse(Long.MAX_VALUE);
            return tail.series().stream().mapToLong(s -> s.timestampMs(0)).reduce(files, Math::min);
        }

        public long eventTimeMaxMs() {
            long files = live.stream().mapToLong(f -> f.header().eventTimeMaxMs()).max().orElse(Long.MIN_VALUE);
            return tail.series().stream().mapToLong(s -> s.timestampMs(s.size() - 1)).reduce(files, Math::max);
        }

        /** Whether every file of the unit is a baseline's (read from the cluster's tables, not from Kafka). */
        public boolean baseline() {
            return !files.isEmpty() && files.stream().allMatch(f -> f.name().isBaseline());
        }
    }

    /** The files of each (window, partition), and of each baseline hour, as storage holds them. */
    public List<Unit> units() {
        return units;
    }

    /**
     * The units a restore reads: those of {@link #units()}, except that a baseline's hour and the archiver's windows
     * it overlaps are one unit, so that one merge reads every version of a series once whichever of them holds it
     * (guarantee 7: the baseline plus the incremental archive, each point once) and applies as-of across both.
     */
    public List<Unit> restoreUnits() {
        if (units.stream().noneMatch(Unit::baseline)) {
            return units;
        }
        int n = units.size();
        int[] group = new int[n];
        for (int i = 0; i < n; i++) {
            group[i] = i;
        }
        for (int i = 0; i < n; i++) {
            if (!units.get(i).baseline()) {
                continue;
            }
            for (int j = 0; j < n; j++) {
                Unit a = units.get(i);
                Unit b = units.get(j);
                if (i != j && a.topic().equals(b.topic()) && a.windowStartMs() < b.windowEndMs() && b.windowStartMs() < a.windowEndMs()) {
                    group[root(group, i)] = root(group, j);
                }
            }
        }
        Map<Integer, List<Unit>> groups = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            groups.computeIfAbsent(root(group, i), g -> new ArrayList<>()).add(units.get(i));
        }
        List<Unit> merged = new ArrayList<>();
        for (List<Unit> members : groups.values()) {
            if (members.size() == 1) {
                merged.add(members.get(0));
                continue;
            }
            long start = members.stream().mapToLong(Unit::windowStartMs).min().orElseThrow();
            long end = members.stream().mapToLong(Unit::windowEndMs).max().orElseThrow();
            Unit first = members.get(0);
            merged.add(new Unit(ArchiveLayout.hourPrefix(first.topic(), start), first.topic(), start, end, -1,
                    members.stream().flatMap(u -> u.files().stream()).toList(), members.stream().flatMap(u -> u.live().stream()).toList()));
        }
        merged.sort(java.util.Comparator.comparingLong(Unit::windowStartMs));
        return merged;
    }

    private static int root(int[] group, int i) {
        while (group[i] != i) {
            group[i] = group[group[i]];
            i = group[i];
        }
        return i;
    }

    /** Checksum sidecars whose data file is not in storage: a data file that went missing. */
    public List<String> sidecarsWithoutData() {
        return sidecarsWithoutData;
    }

    /** Objects under the archive's prefix that are not Rewind files. */
    public List<String> unknown() {
        return unknown;
    }

    /**
     * Every file of the topic (or of every topic when {@code topic} is empty). Files whose header
     * cannot be read are left out of the units and reported through {@code unreadable}.
     */
    public static ArchiveIndex scanAll(Storage storage, Optional<String> topic, List<String> unreadable) throws IOException {
        return scanAll(storage, topic, unreadable, Headers.READ);
    }

    /** As {@link #scanAll(Storage, Optional, List)}, the headers read through {@code headers}. */
    public static ArchiveIndex scanAll(Storage storage, Optional<String> topic, List<String> unreadable, Headers headers) throws IOException {
        String prefix = ArchiveLayout.VERSION + "/" + topic.map(t -> t + "/").orElse("");
        return build(storage, List.of(prefix), unreadable, headers, key -> true);
    }

    /**
     * How the header of each listed file is read: from storage each time (every command that runs and ends), or through a
     * cache a long-running reader keeps ({@code rewind serve}): a published file never changes under its key and size.
     */
    @FunctionalInterface
    public interface Headers {
        Headers READ = (storage, key, size) -> SegmentFiles.readHeader(storage, key);

        SegmentMetadata read(Storage storage, String key, long size) throws IOException;
    }

    /** The files whose windows can hold event times in {@code [fromMs, toMs)}, listing only the hours of that range. */
    public static ArchiveIndex scanRange(Storage storage, String topic, long fromMs, long toMs, List<String> unreadable)
            throws IOException {
        return scanRange(storage, topic, fromMs, toMs, unreadable, Headers.READ);
    }

    /** As {@link #scanRange(Storage, String, long, long, List)}, the headers read through {@code headers}. */
    public static ArchiveIndex scanRange(Storage storage, String topic, long fromMs, long toMs, List<String> unreadable, Headers headers)
            throws IOException {
        List<String> prefixes = new ArrayList<>();
        long first = Math.max(0, Math.floorDiv(fromMs - MAX_WINDOW_MS, ArchiveLayout.HOUR_MS) * ArchiveLayout.HOUR_MS);
        java.util.function.Predicate<String> keep = key -> true;
        if (toMs - first > LIST_BY_DAY_AFTER_MS) {
            // A long range lists whole days (a request each on S3, not one an hour), then keeps the hours of the range.
            long day = Math.floorDiv(first, DAY_MS) * DAY_MS;
            for (; day < toMs; day += DAY_MS) {
                String hour = ArchiveLayout.hourPrefix(topic, day);
                prefixes.add(hour.substring(0, hour.indexOf("hour=")));
            }
            String from = ArchiveLayout.hourPrefix(topic, first);
            String to = toMs == Long.MAX_VALUE ? null : ArchiveLayout.hourPrefix(topic, toMs - 1);
            keep = key -> key.compareTo(from) >= 0 && (to == null || key.compareTo(to) < 0 || key.startsWith(to));
        } else {
            for (long hour = first; hour < toMs; hour += ArchiveLayout.HOUR_MS) {
                prefixes.add(ArchiveLayout.hourPrefix(topic, hour));
            }
        }
        ArchiveIndex all = build(storage, prefixes, unreadable, headers, keep);
        List<Unit> overlapping = all.units.stream()
                .filter(u -> u.windowStartMs < toMs && u.windowEndMs > fromMs)
                .toList();
        return new ArchiveIndex(overlapping, all.sidecarsWithoutData, all.unknown);
    }

    private static final long DAY_MS = 24 * ArchiveLayout.HOUR_MS;
    /** Ranges longer than this are listed day by day. */
    static final long LIST_BY_DAY_AFTER_MS = 3 * DAY_MS;

    private static ArchiveIndex build(Storage storage, List<String> prefixes, List<String> unreadable, Headers reader,
            java.util.function.Predicate<String> keep) throws IOException {
        Map<String, List<Storage.ObjectInfo>> byDirectory = new LinkedHashMap<>();
        Set<String> keys = new HashSet<>();
        List<String> sidecars = new ArrayList<>();
        List<String> unknown = new ArrayList<>();
        for (String prefix : prefixes) {
            try (Stream<Storage.ObjectInfo> listing = storage.list(prefix)) {
                listing.filter(info -> keep.test(info.key())).forEach(info -> {
                    keys.add(info.key());
                    if (info.key().endsWith(SegmentFiles.SIDECAR_SUFFIX)) {
                        sidecars.add(info.key());
                    } else if (ArchiveLayout.isBaselineState(info.key()) || ArchiveLayout.isGapRecord(info.key())) {
                        return; // a baseline's progress, or a gap: read by the commands that report on them
                    } else if (ArchiveLayout.parse(info.key()).isPresent()) {
                        byDirectory.computeIfAbsent(directory(info.key()), d -> new ArrayList<>()).add(info);
                    } else {
                        unknown.add(info.key());
                    }
                });
            }
        }
        List<String> sidecarsWithoutData = sidecars.stream()
                .filter(s -> !keys.contains(s.substring(0, s.length() - SegmentFiles.SIDECAR_SUFFIX.length())))
                .toList();
        Map<String, SegmentMetadata> headers = readHeaders(storage, byDirectory.values().stream().flatMap(List::stream).toList(), unreadable,
                reader);
        List<Unit> units = new ArrayList<>();
        byDirectory.forEach((directory, infos) -> {
            List<StoredFile> files = new ArrayList<>();
            for (Storage.ObjectInfo info : infos) {
                SegmentMetadata header = headers.get(info.key());
                if (header != null) {
                    files.add(new StoredFile(info.key(), ArchiveLayout.parse(info.key()).orElseThrow(), info.size(),
                            keys.contains(info.key() + SegmentFiles.SIDECAR_SUFFIX), header));
                }
            }
            if (!files.isEmpty()) {
                units.add(unit(directory, files));
            }
        });
        return new ArchiveIndex(units, sidecarsWithoutData, unknown);
    }

    private static Unit unit(String directory, List<StoredFile> files) {
        List<StoredFile> live = Supersession.live(files, StoredFile::key, StoredFile::hasSidecar, StoredFile::header);
        SegmentMetadata first = files.get(0).header();
        return new Unit(directory, first.topic(), first.windowStartMs(), first.windowEndMs(), first.partition(), List.copyOf(files), live);
    }

    private static String directory(String key) {
        return key.substring(0, key.lastIndexOf('/') + 1);
    }

    /** Reads the headers side by side: on S3 each is a request. */
    private static Map<String, SegmentMetadata> readHeaders(Storage storage, List<Storage.ObjectInfo> files, List<String> unreadable,
            Headers reader) throws IOException {
        List<String> keys = files.stream().map(Storage.ObjectInfo::key).toList();
        Map<String, SegmentMetadata> headers = new LinkedHashMap<>();
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(8, Math.max(1, keys.size())), r -> {
            Thread t = new Thread(r, "rewind-header-reader");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<SegmentMetadata>> futures = files.stream().map(f -> pool.submit(() -> reader.read(storage, f.key(), f.size()))).toList();
            for (int i = 0; i < keys.size(); i++) {
                try {
                    headers.put(keys.get(i), futures.get(i).get());
                } catch (ExecutionException e) {
                    if (e.getCause() instanceof io.rewind.archive.crypto.ArchiveCipher.KeyUnavailableException missingKey) {
                        throw missingKey; // one clear error for the whole archive, not one per file
                    } else if (e.getCause() instanceof SegmentCorruptException corrupt) {
                        unreadable.add(corrupt.getMessage());
                    } else if (e.getCause() instanceof IOException io) {
                        throw io;
                    } else if (e.getCause() instanceof UncheckedIOException io) {
                        throw io.getCause();
                    } else {
                        throw new IllegalStateException("reading the header of " + keys.get(i), e.getCause());
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while reading headers", e);
        } finally {
            pool.shutdownNow();
        }
        return headers;
    }

}
