package io.rewind.restore.source;

import io.rewind.archive.segment.SegmentFiles;
import io.rewind.archive.segment.SegmentMerger;
import io.rewind.archive.segment.SegmentMetadata;
import io.rewind.archive.segment.SegmentReader;
import io.rewind.archive.segment.SeriesId;
import io.rewind.archive.segment.SeriesPoints;
import io.rewind.archive.segment.Supersession;
import io.rewind.archive.storage.Storage;
import io.rewind.restore.plan.Selection;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.function.Predicate;

/**
 * Reads the selection of one unit: its live files, only the series the selection keeps, merged into
 * one stream in series order with every version read once (guarantee 2) and, for each (series,
 * timestamp), the latest version ingested at or before the as-of time (guarantee 4), cut to the
 * selection's event-time range. The same unit and selection always give the same stream, which is
 * what lets an interrupted restore skip what it already wrote. A unit's points from the Kafka tail are one more input of
 * the merge.
 */
public final class SelectionReader {
    private final Storage storage;
    private final Selection selection;
    private final Predicate<SeriesId> seriesFilter;
    private final boolean withEmptySeries;
    private final boolean everyVersion;
    private final FileOpener opener;

    /**
     * How a live file's series are read: checked and decoded from storage each time ({@link SegmentFiles#open}), or through
     * a cache of decoded series a long-running reader keeps ({@code rewind serve}). What it returns is closed when
     * {@link java.io.Closeable}.
     */
    @FunctionalInterface
    public interface FileOpener {
        Iterator<SeriesPoints> open(Storage storage, ArchiveIndex.StoredFile file, Predicate<SeriesId> filter) throws IOException;
    }

    private static Iterator<SeriesPoints> checkedWhole(Storage storage, ArchiveIndex.StoredFile file, Predicate<SeriesId> filter)
            throws IOException {
        return SegmentFiles.open(storage, file.key(), filter);
    }

    public SelectionReader(Storage storage, Selection selection) {
        this(storage, selection, false);
    }

    /**
     * @param withEmptySeries also hand over, empty, each selected series the unit holds with no version as of the
     *        selection's as-of time or none in its range, even in a unit with no point in the range at all: what a restore
     *        that replaces the target's series deletes
     */
    public SelectionReader(Storage storage, Selection selection, boolean withEmptySeries) {
        this(storage, selection, withEmptySeries, false, SelectionReader::checkedWhole);
    }

    private SelectionReader(Storage storage, Selection selection, boolean withEmptySeries, boolean everyVersion, FileOpener opener) {
        this.storage = storage;
        this.selection = selection;
        this.seriesFilter = selection.seriesFilter();
        this.withEmptySeries = withEmptySeries;
        this.everyVersion = everyVersion;
        this.opener = opener;
    }

    /** The same reader, its files opened through {@code opener}. */
    public SelectionReader withOpener(FileOpener opener) {
        return new SelectionReader(storage, selection, withEmptySeries, everyVersion, opener);
    }

    /**
     * A reader of every version the selection's series hold in its range, each with its ingest time, in arrival order within a
     * timestamp (the selection's as-of time aside): the history {@code rewind changes} reads, from the same files a restore reads.
     */
    public static SelectionReader everyVersion(Storage storage, Selection selection) {
        return new SelectionReader(storage, selection, false, true, SelectionReader::checkedWhole);
    }

    /** What receives the selected series of a unit, in series order; none is empty unless asked for. */
    public interface SeriesConsumer {
        void accept(SeriesPoints series) throws IOException, InterruptedException;
    }

    public void read(ArchiveIndex.Unit unit, SeriesConsumer consumer) throws IOException, InterruptedException {
        if (!withEmptySeries && !selection.overlaps(unit.eventTimeMinMs(), unit.eventTimeMaxMs())) {
            return; // a unit with no point in the range, unless its series are wanted empty: a replace empties their span
        }
        List<Iterator<SeriesPoints>> readers = new ArrayList<>();
        List<Iterator<SeriesPoints>> inputs = new ArrayList<>();
        try {
            List<ArchiveIndex.StoredFile> live = new ArrayList<>(unit.live());
            // A file whose publication did not finish, all of whose points checked files hold, is not read (nor refused).
            live.removeAll(Supersession.coveredUnpublished(unit.files(), ArchiveIndex.StoredFile::key, ArchiveIndex.StoredFile::hasSidecar,
                    ArchiveIndex.StoredFile::header));
            live.sort(java.util.Comparator.comparing(ArchiveIndex.StoredFile::header, SegmentMetadata.ARRIVAL_ORDER));
            for (ArchiveIndex.StoredFile file : live) {
                // Every file, when series with nothing to restore are wanted too: a series the unit holds only outside the
                // range, or only after the as-of time, is still one of the archive's.
                if (withEmptySeries || (selection.overlaps(file.header().eventTimeMinMs(), file.header().eventTimeMaxMs())
                        && (everyVersion || file.header().ingestTimeMinMs() <= selection.asOfMs()))) {
                    readers.add(opener.open(storage, file, seriesFilter));
                }
            }
            inputs.addAll(readers);
            inputs.add(unit.tail().series().stream().filter(s -> seriesFilter.test(s.id())).iterator());
            SegmentMerger merged = everyVersion ? SegmentMerger.allVersions(inputs)
                    : withEmptySeries ? SegmentMerger.asOfWithEmptySeries(inputs, selection.asOfMs())
                    : SegmentMerger.asOf(inputs, selection.asOfMs());
            while (merged.hasNext()) {
                SeriesPoints inRange = cut(merged.next());
                if (inRange.size() > 0 || withEmptySeries) {
                    consumer.accept(inRange);
                }
            }
        } finally {
            for (Iterator<SeriesPoints> reader : readers) {
                if (reader instanceof java.io.Closeable closeable) {
                    closeable.close();
                }
            }
        }
    }

    /** The points of a series sorted by timestamp that fall in the range; the series itself when all do. */
    private SeriesPoints cut(SeriesPoints series) {
        int n = series.size();
        if (n == 0 || (selection.inRange(series.timestampMs(0)) && selection.inRange(series.timestampMs(n - 1)))) {
            return series;
        }
        SeriesPoints out = new SeriesPoints(series.id(), 0);
        for (int i = 0; i < n; i++) {
            if (selection.inRange(series.timestampMs(i))) {
                out.addFrom(series, i);
            }
        }
        return out;
    }
}
