package io.rewind.restore;

import io.rewind.archive.ArchiveLayout;
import io.rewind.archive.segment.SegmentFiles;
import io.rewind.archive.segment.SegmentMerger;
import io.rewind.archive.segment.SegmentMetadata;
import io.rewind.archive.segment.SegmentReader;
import io.rewind.archive.segment.SegmentWriter;
import io.rewind.archive.segment.SeriesId;
import io.rewind.archive.segment.SeriesPoints;
import io.rewind.archive.storage.Storage;
import io.rewind.schema.AvroTrust;
import io.rewind.schema.FileKind;
import io.rewind.schema.Point;
import io.rewind.schema.SeriesKey;
import io.rewind.schema.TimestampPrecision;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Writes archives the way the archiver lays them out (one part per window and partition per commit,
 * segments superseding parts), for the restorer's tests, and builds the datasets they restore.
 */
public final class TestArchive {
    public static final String TOPIC = "points";
    public static final long HOUR = 3_600_000L;

    static {
        AvroTrust.trustRewindSchemas(); // builders resolve enum defaults through Avro's class checks
    }

    /** A point and when the tap received it. */
    public record Ingested(Point point, long ingestMs) {
    }

    private final Storage storage;
    private final int partitions;
    private final long[] nextOffset;

    public TestArchive(Storage storage, int partitions) {
        this.storage = storage;
        this.partitions = partitions;
        this.nextOffset = new long[partitions];
    }

    /** The partition Kafka's default partitioner gives the point's series key. */
    public static int partitionOf(Point point, int partitions) {
        return org.apache.kafka.common.utils.Utils.toPositive(org.apache.kafka.common.utils.Utils.murmur2(SeriesKey.of(point).toBytes()))
                % partitions;
    }

    /** Writes the points as one commit: a part per (hour window, partition) they fall in. Returns the keys. */
    public List<String> commit(List<Ingested> points) throws IOException {
        Map<Long, Map<Integer, Map<SeriesId, SeriesPoints>>> grouped = new TreeMap<>();
        for (Ingested p : points) {
            long window = Math.floorDiv(p.point().getTimestampMs(), HOUR) * HOUR;
            SeriesId id = new SeriesId(SeriesKey.of(p.point()), p.point().getKind(), p.point().getRollup());
            grouped.computeIfAbsent(window, w -> new TreeMap<>())
                    .computeIfAbsent(partitionOf(p.point(), partitions), q -> new TreeMap<>())
                    .computeIfAbsent(id, i -> new SeriesPoints(i, 16))
                    .add(p.point(), p.ingestMs());
        }
        long[] counts = new long[partitions];
        points.forEach(p -> counts[partitionOf(p.point(), partitions)]++);
        List<String> keys = new ArrayList<>();
        for (var window : grouped.entrySet()) {
            for (var partition : window.getValue().entrySet()) {
                int q = partition.getKey();
                long first = nextOffset[q];
                long last = first + counts[q] - 1;
                String key = ArchiveLayout.part(TOPIC, window.getKey(), HOUR, q, first, last);
                write(key, SegmentMetadata.of(FileKind.PART, TOPIC, q, window.getKey(), window.getKey() + HOUR, first, last, 0, List.of()),
                        partition.getValue().values().stream().map(SeriesPoints::sorted).toList());
                keys.add(key);
            }
        }
        for (int q = 0; q < partitions; q++) {
            nextOffset[q] += counts[q];
        }
        return keys;
    }

    /** Writes the points as {@code rewind baseline} writes them: one file per hour window, every series in it, under its name. */
    public List<String> baseline(String name, List<Ingested> points) throws IOException {
        Map<Long, Map<SeriesId, SeriesPoints>> grouped = new TreeMap<>();
        for (Ingested p : points) {
            long window = Math.floorDiv(p.point().getTimestampMs(), HOUR) * HOUR;
            grouped.computeIfAbsent(window, w -> new TreeMap<>()).computeIfAbsent(SeriesId.of(SeriesKey.of(p.point())),
                    i -> new SeriesPoints(i, 16)).add(p.point(), p.ingestMs());
        }
        List<String> keys = new ArrayList<>();
        for (var window : grouped.entrySet()) {
            String key = ArchiveLayout.baseline(TOPIC, window.getKey(), name, "0000000000000000", 0);
            write(key, SegmentMetadata.baseline(TOPIC, window.getKey(), window.getKey() + HOUR, Map.of("table", "tsdb")),
                    window.getValue().values().stream().map(SeriesPoints::sorted).toList());
            keys.add(key);
        }
        return keys;
    }

    /** Compacts the listed files of one (window, partition) into a segment superseding them, as the archiver does. */
    public String compact(long window, int partition, int generation, List<String> files) throws IOException {
        List<SegmentReader> readers = new ArrayList<>();
        long first = Long.MAX_VALUE;
        long last = Long.MIN_VALUE;
        for (String key : files) {
            SegmentReader reader = SegmentFiles.open(storage, key, id -> true);
            first = Math.min(first, reader.metadata().firstOffset());
            last = Math.max(last, reader.metadata().lastOffset());
            readers.add(reader);
        }
        List<SeriesPoints> merged = new ArrayList<>();
        SegmentMerger.allVersions(readers).forEachRemaining(merged::add);
        for (SegmentReader reader : readers) {
            reader.close();
        }
        String key = ArchiveLayout.segment(TOPIC, window, HOUR, partition, generation);
        write(key, SegmentMetadata.of(FileKind.SEGMENT, TOPIC, partition, window, window + HOUR, first, last, generation, files), merged);
        return key;
    }

    private void write(String key, SegmentMetadata metadata, List<SeriesPoints> series) throws IOException {
        Path file = Files.createTempFile("rewind-test-", ".avro");
        try (SegmentWriter writer = new SegmentWriter(file, metadata)) {
            for (SeriesPoints s : series) {
                writer.write(s);
            }
            SegmentFiles.publish(storage, key, writer.finish());
        } finally {
            Files.deleteIfExists(file);
        }
    }

    /**
     * A collector's hour-scale workload for {@code minutes} from {@code startMs}, every 10 s, per host:
     * {@code <prefix>.cpu} integer counters in seconds, {@code <prefix>.load} two-decimal floats in
     * seconds, {@code <prefix>.latency} millisecond timestamps with integer and float values.
     */
    public static List<Point> workload(String prefix, long startMs, int minutes, int hosts) {
        List<Point> points = new ArrayList<>();
        for (int h = 0; h < hosts; h++) {
            Map<String, String> tags = new LinkedHashMap<>();
            tags.put("host", String.format("web%02d", h));
            tags.put("dc", h % 2 == 0 ? "lga" : "fra");
            for (int s = 0; s < minutes * 6; s++) {
                long t = startMs + s * 10_000L;
                points.add(point(prefix + ".cpu", t, TimestampPrecision.SECONDS, (long) (h * 100_000 + s * 37), tags));
                points.add(point(prefix + ".load", t, TimestampPrecision.SECONDS, Math.round((h + s % 17 * 0.37) * 100) / 100.0, tags));
                points.add(point(prefix + ".latency", t + 7 + h, TimestampPrecision.MILLISECONDS,
                        s % 3 == 0 ? (Object) (long) (s % 50) : (Object) (s % 50 + 0.5), tags));
            }
        }
        return points;
    }

    public static Point point(String metric, long timestampMs, TimestampPrecision precision, Object value, Map<String, String> tags) {
        return Point.newBuilder().setMetric(metric).setTimestampMs(timestampMs).setPrecision(precision).setValue(value)
                .setTags(new LinkedHashMap<>(tags)).build();
    }

    public static List<Ingested> ingestedAt(List<Point> points, long ingestMs) {
        return points.stream().map(p -> new Ingested(p, ingestMs)).toList();
    }
}
