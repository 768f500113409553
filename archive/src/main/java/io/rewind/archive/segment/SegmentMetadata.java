package io.rewind.archive.segment;

import io.rewind.schema.CatalogRecord;
import io.rewind.schema.FileKind;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * What a segment or part file says about itself in its Avro header, so that it can be listed,
 * verified and restored with no other information: no Kafka, no catalog (guarantee 5). A baseline
 * file (kind {@code baseline}, partition -1, no offsets) also names its {@code source}: the cluster,
 * table, snapshot and scan time it was read from.
 */
public record SegmentMetadata(int formatVersion, FileKind kind, String topic, int partition, long windowStartMs,
        long windowEndMs, long firstOffset, long lastOffset, int generation, long eventTimeMinMs, long eventTimeMaxMs,
        long ingestTimeMinMs, long ingestTimeMaxMs, long pointCount, long seriesCount, List<String> supersedes,
        Map<String, String> source) {

    static final String PREFIX = "rewind.";

    /**
     * The order in which files are merged so that, of versions of one point received in the same millisecond, the one
     * received last comes last (guarantee 11): a baseline's files first (read from the cluster, before the tap), then by the
     * last input offset each holds, then by the first. Each archiver file holds every point of its window read in its offset
     * range, in the order read, so the file that ends last among those holding a version of a (series, timestamp, ingest
     * time) also holds the last one received, last: a part after the segment it came too late for, a crash's orphan or a
     * fenced instance's part before the file that covers it, whether they overlap or one lies inside the other.
     */
    public static final java.util.Comparator<SegmentMetadata> ARRIVAL_ORDER = java.util.Comparator
            .comparing((SegmentMetadata h) -> h.kind() != FileKind.BASELINE)
            .thenComparingLong(SegmentMetadata::lastOffset)
            .thenComparingLong(SegmentMetadata::firstOffset);

    public SegmentMetadata {
        supersedes = List.copyOf(supersedes);
        source = Collections.unmodifiableMap(new LinkedHashMap<>(source));
        source.forEach((k, v) -> {
            if (k.contains("=") || k.contains("\n") || v.contains("\n")) {
                throw new IllegalArgumentException("a source entry holds '=' in its key or a line break: " + k);
            }
        });
    }

    public SegmentMetadata(int formatVersion, FileKind kind, String topic, int partition, long windowStartMs,
            long windowEndMs, long firstOffset, long lastOffset, int generation, long eventTimeMinMs, long eventTimeMaxMs,
            long ingestTimeMinMs, long ingestTimeMaxMs, long pointCount, long seriesCount, List<String> supersedes) {
        this(formatVersion, kind, topic, partition, windowStartMs, windowEndMs, firstOffset, lastOffset, generation, eventTimeMinMs,
                eventTimeMaxMs, ingestTimeMinMs, ingestTimeMaxMs, pointCount, seriesCount, supersedes, Map.of());
    }

    /** The header of a baseline file of one window, read from {@code source}. */
    public static SegmentMetadata baseline(String topic, long windowStartMs, long windowEndMs, Map<String, String> source) {
        return new SegmentMetadata(SegmentCodec.FORMAT_VERSION, FileKind.BASELINE, topic, -1, windowStartMs, windowEndMs, -1, -1, 0,
                Long.MAX_VALUE, Long.MIN_VALUE, Long.MAX_VALUE, Long.MIN_VALUE, 0, 0, List.of(), source);
    }

    /** What the writer needs to know before the points: everything but the counts and time bounds. */
    public static SegmentMetadata of(FileKind kind, String topic, int partition, long windowStartMs, long windowEndMs,
            long firstOffset, long lastOffset, int generation, List<String> supersedes) {
        return new SegmentMetadata(SegmentCodec.FORMAT_VERSION, kind, topic, partition, windowStartMs, windowEndMs,
                firstOffset, lastOffset, generation, Long.MAX_VALUE, Long.MIN_VALUE, Long.MAX_VALUE, Long.MIN_VALUE, 0, 0, supersedes);
    }

    /** The same header for a file written in another format version (an older one, for tests and benchmarks). */
    public SegmentMetadata withFormatVersion(int version) {
        return new SegmentMetadata(version, kind, topic, partition, windowStartMs, windowEndMs, firstOffset, lastOffset,
                generation, eventTimeMinMs, eventTimeMaxMs, ingestTimeMinMs, ingestTimeMaxMs, pointCount, seriesCount, supersedes, source);
    }

    SegmentMetadata withContent(long eventMin, long eventMax, long ingestMin, long ingestMax, long points, long series) {
        return new SegmentMetadata(formatVersion, kind, topic, partition, windowStartMs, windowEndMs, firstOffset, lastOffset,
                generation, eventMin, eventMax, ingestMin, ingestMax, points, series, supersedes, source);
    }

    /** The catalog record of this file once written and published under {@code path}. */
    public CatalogRecord toCatalogRecord(String path, long byteSize, String sha256) {
        return CatalogRecord.newBuilder()
                .setPath(path).setKind(kind).setTopic(topic).setPartition(partition)
                .setWindowStartMs(windowStartMs).setWindowEndMs(windowEndMs)
                .setFirstOffset(firstOffset).setLastOffset(lastOffset).setGeneration(generation)
                .setEventTimeMinMs(eventTimeMinMs).setEventTimeMaxMs(eventTimeMaxMs)
                .setIngestTimeMinMs(ingestTimeMinMs).setIngestTimeMaxMs(ingestTimeMaxMs)
                .setPointCount(pointCount).setSeriesCount(seriesCount)
                .setByteSize(byteSize).setSha256(sha256).setSupersedes(supersedes)
                .build();
    }

    Map<String, String> toHeader() {
        Map<String, String> header = new LinkedHashMap<>();
        header.put("format.version", Integer.toString(formatVersion));
        header.put("kind", kind.name().toLowerCase());
        header.put("topic", topic);
        header.put("partition", Integer.toString(partition));
        header.put("window.start.ms", Long.toString(windowStartMs));
        header.put("window.end.ms", Long.toString(windowEndMs));
        header.put("offsets.first", Long.toString(firstOffset));
        header.put("offsets.last", Long.toString(lastOffset));
        header.put("generation", Integer.toString(generation));
        header.put("event.time.min.ms", Long.toString(eventTimeMinMs));
        header.put("event.time.max.ms", Long.toString(eventTimeMaxMs));
        header.put("ingest.time.min.ms", Long.toString(ingestTimeMinMs));
        header.put("ingest.time.max.ms", Long.toString(ingestTimeMaxMs));
        header.put("points", Long.toString(pointCount));
        header.put("series", Long.toString(seriesCount));
        header.put("supersedes", String.join("\n", supersedes));
        if (!source.isEmpty()) {
            StringBuilder lines = new StringBuilder();
            source.forEach((k, v) -> lines.append(lines.length() == 0 ? "" : "\n").append(k).append('=').append(v));
            header.put("source", lines.toString());
        }
        return header;
    }

    /** Reads the header; fails naming the first missing or malformed key. */
    static SegmentMetadata fromHeader(Function<String, byte[]> meta, String file) {
        Header h = new Header(meta, file);
        int version = (int) h.number("format.version");
        if (version < SegmentCodec.OLDEST_READABLE_VERSION || version > SegmentCodec.FORMAT_VERSION) {
            throw new SegmentCorruptException(file, "header", "format version " + version
                    + " is not one this Rewind reads (" + SegmentCodec.OLDEST_READABLE_VERSION + " to " + SegmentCodec.FORMAT_VERSION + ")", null);
        }
        String supersedes = h.text("supersedes");
        Map<String, String> source = new LinkedHashMap<>();
        byte[] sourceLines = meta.apply(PREFIX + "source");
        if (sourceLines != null) {
            for (String line : new String(sourceLines, StandardCharsets.UTF_8).split("\n")) {
                int eq = line.indexOf('=');
                if (eq > 0) {
                    source.put(line.substring(0, eq), line.substring(eq + 1));
                }
            }
        }
        return new SegmentMetadata(version, FileKind.valueOf(h.text("kind").toUpperCase()), h.text("topic"),
                (int) h.number("partition"), h.number("window.start.ms"), h.number("window.end.ms"),
                h.number("offsets.first"), h.number("offsets.last"), (int) h.number("generation"),
                h.number("event.time.min.ms"), h.number("event.time.max.ms"),
                h.number("ingest.time.min.ms"), h.number("ingest.time.max.ms"),
                h.number("points"), h.number("series"),
                supersedes.isEmpty() ? List.of() : Arrays.asList(supersedes.split("\n")), source);
    }

    private record Header(Function<String, byte[]> meta, String file) {
        String text(String key) {
            byte[] value = meta.apply(PREFIX + key);
            if (value == null) {
                throw new SegmentCorruptException(file, "header", "no '" + PREFIX + key + "' metadata: not a Rewind file", null);
            }
            return new String(value, StandardCharsets.UTF_8);
        }

        long number(String key) {
            String text = text(key);
            try {
                return Long.parseLong(text);
            } catch (NumberFormatException e) {
                throw new SegmentCorruptException(file, "header", "'" + PREFIX + key + "' is not a number: " + text, e);
            }
        }
    }
}
