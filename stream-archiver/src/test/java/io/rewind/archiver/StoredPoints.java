package io.rewind.archiver;

import io.rewind.archive.ArchiveLayout;
import io.rewind.archive.segment.SegmentFiles;
import io.rewind.archive.segment.SegmentMetadata;
import io.rewind.archive.segment.SegmentReader;
import io.rewind.archive.segment.SeriesPoints;
import io.rewind.archive.segment.Supersession;
import io.rewind.archive.storage.Storage;
import io.rewind.schema.Point;
import io.rewind.schema.SeriesKey;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/** What an archive holds, read from storage alone as the restorer reads it: for tests that compare it with what was sent. */
final class StoredPoints {
    /** A data file of the archive and its header. */
    record File(String key, ArchiveLayout.FileName name, SegmentMetadata header) {
    }

    private StoredPoints() {
    }

    static List<File> files(Storage storage) throws IOException {
        List<String> keys;
        try (Stream<Storage.ObjectInfo> listed = storage.list("")) {
            keys = listed.map(Storage.ObjectInfo::key).toList();
        }
        List<File> files = new ArrayList<>();
        for (String key : keys) {
            var name = ArchiveLayout.parse(key);
            if (name.isPresent()) {
                files.add(new File(key, name.get(), SegmentFiles.readHeader(storage, key)));
            }
        }
        return files;
    }

    /** The live files of each (window, partition) directory. */
    static List<File> live(Storage storage) throws IOException {
        Map<String, List<File>> byDirectory = new TreeMap<>();
        for (File file : files(storage)) {
            byDirectory.computeIfAbsent(file.key().substring(0, file.key().lastIndexOf('/')), d -> new ArrayList<>()).add(file);
        }
        List<File> live = new ArrayList<>();
        byDirectory.values().forEach(files -> live.addAll(Supersession.live(files, File::key, f -> f.header().supersedes())));
        return live;
    }

    /** Every distinct version in the live files, counted: one line per (series, timestamp, value, precision, ingest time). */
    static Map<String, Integer> versions(Storage storage) throws IOException {
        Map<String, Integer> counts = new HashMap<>();
        for (File file : live(storage)) {
            for (SeriesPoints series : read(storage, file.key())) {
                for (int i = 0; i < series.size(); i++) {
                    counts.merge(version(series.id().key(), series.timestampMs(i), series.value(i), series.isMilliseconds(i),
                            series.ingestTimeMs(i)), 1, Integer::sum);
                }
            }
        }
        return counts;
    }

    static List<SeriesPoints> read(Storage storage, String key) throws IOException {
        List<SeriesPoints> out = new ArrayList<>();
        try (SegmentReader reader = SegmentFiles.open(storage, key, id -> true)) {
            reader.forEachRemaining(out::add);
        }
        return out;
    }

    static String version(SeriesKey key, long timestampMs, Object value, boolean millis, long ingestMs) {
        return key + " " + timestampMs + (millis ? "ms" : "s") + " " + value + (value instanceof Double ? "d" : "") + " @" + ingestMs;
    }

    static String version(Point point, long ingestMs) {
        return version(SeriesKey.of(point), point.getTimestampMs(), point.getValue(),
                point.getPrecision() == io.rewind.schema.TimestampPrecision.MILLISECONDS, ingestMs);
    }
}
