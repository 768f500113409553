package io.rewind.archive.segment;

import io.rewind.archive.storage.Storage;
import io.rewind.schema.FileKind;
import io.rewind.schema.Point;
import io.rewind.schema.SeriesKey;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Building series and files for the segment tests. */
final class Fixtures {
    static final long HOUR = 3_600_000L;
    static final long WINDOW = 1_763_726_400_000L;

    private Fixtures() {
    }

    /** Groups points (each with its ingest time) into sorted series, in file order. */
    static List<SeriesPoints> series(Map<Point, Long> pointsWithIngest) {
        Map<SeriesId, SeriesPoints> byId = new TreeMap<>();
        pointsWithIngest.forEach((point, ingest) -> byId
                .computeIfAbsent(new SeriesId(SeriesKey.of(point), point.getKind(), point.getRollup()), id -> new SeriesPoints(id, 4))
                .add(point, ingest));
        return byId.values().stream().map(SeriesPoints::sorted).toList();
    }

    static SeriesPoints gauge(String metric, Map<String, String> tags, long start, int count, long ingestLag, double first) {
        SeriesPoints points = new SeriesPoints(SeriesId.of(SeriesKey.of(metric, tags)), count);
        for (int i = 0; i < count; i++) {
            long ts = start + i * 10_000L;
            points.add(ts, false, true, Double.doubleToRawLongBits(first + i * 0.25), ts + ingestLag, null);
        }
        return points;
    }

    static SegmentWriter.WrittenFile write(Path file, FileKind kind, long firstOffset, long lastOffset, Collection<SeriesPoints> series)
            throws IOException {
        return write(file, kind, firstOffset, lastOffset, series, SegmentCodec.FORMAT_VERSION);
    }

    static SegmentWriter.WrittenFile write(Path file, FileKind kind, long firstOffset, long lastOffset, Collection<SeriesPoints> series,
            int formatVersion) throws IOException {
        try (SegmentWriter writer = new SegmentWriter(file, SegmentMetadata.of(kind, "points", 7, WINDOW, WINDOW + HOUR,
                firstOffset, lastOffset, kind == FileKind.SEGMENT ? 1 : 0, List.of()).withFormatVersion(formatVersion))) {
            for (SeriesPoints points : series) {
                writer.write(points);
            }
            return writer.finish();
        }
    }

    static List<SeriesPoints> readAll(SegmentReader reader) throws IOException {
        List<SeriesPoints> all = new ArrayList<>();
        try (reader) {
            reader.forEachRemaining(all::add);
        }
        return all;
    }

    static List<SeriesPoints> readAll(Storage storage, String key) throws IOException {
        return readAll(SegmentFiles.open(storage, key, id -> true));
    }
}
