package io.rewind.restore;

import io.rewind.archive.ArchiveLayout;
import io.rewind.archive.storage.Storage;
import io.rewind.restore.plan.Selection;
import io.rewind.restore.source.ArchiveIndex;
import io.rewind.restore.source.KafkaTail;
import io.rewind.restore.source.TailPosition;
import io.rewind.restore.source.TailUnits;
import io.rewind.restore.targets.Slice;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * What a restore reads: the units of the range, and the files that could not be read. A plan that {@code replaces}
 * hands each batch the time span its series cover in the target ({@link Slice#domainFromMs()}), series with no
 * point in it included, so that a target can remove what the archive lacks there; it reads every unit whose window
 * overlaps the range, one with no point in the range included ({@code windows}: its series lose what the target holds
 * there). With Kafka, {@code kafka} says where the archive stands in each partition of the points topic, and
 * {@code tail} is what was read past it (null when the tail is not restored).
 */
public record RestorePlan(String topic, Selection selection, List<ArchiveIndex.Unit> units, List<String> unreadable, boolean replaces,
        List<TailPosition> kafka, KafkaTail.TailRead tail, List<ArchiveIndex.Unit> windows) {
    public RestorePlan(String topic, Selection selection, List<ArchiveIndex.Unit> units, List<String> unreadable, boolean replaces) {
        this(topic, selection, units, unreadable, replaces, List.of(), null, units);
    }

    /** This plan, replacing the target's series: every unit of {@code windows}, with points in the range or not. */
    public RestorePlan replacing() {
        return new RestorePlan(topic, selection, windows, unreadable, true, kafka, tail, windows);
    }

    /** Points of the selection read from the Kafka tail. */
    public long tailPoints() {
        return tail == null ? 0 : tail.points();
    }

    /** Records of the points topic past the archive, which a restore without the tail leaves out. */
    public long recordsLeftInKafka() {
        return tail != null ? 0 : kafka.stream().mapToLong(TailPosition::records).sum();
    }

    public long estimatedPoints() {
        return units.stream().mapToLong(ArchiveIndex.Unit::livePoints).sum();
    }

    public long files() {
        return units.stream().mapToLong(u -> u.live().size()).sum();
    }

    public long bytes() {
        return units.stream().flatMap(u -> u.live().stream()).mapToLong(ArchiveIndex.StoredFile::size).sum();
    }

    public static RestorePlan of(Storage storage, String topic, Selection selection) throws IOException {
        return of(storage, topic, selection, null, false);
    }

    /**
     * The plan, with the points topic: where the archive stands in each partition, and when {@code readTail}, the tail
     * read past it, its points merged into the units of their windows (guarantee 7).
     */
    public static RestorePlan of(Storage storage, String topic, Selection selection, KafkaTail.Settings kafka, boolean readTail)
            throws IOException {
        KafkaTail.Snapshot snapshot = kafka == null ? null : KafkaTail.snapshot(kafka); // before the scan: see KafkaTail
        List<String> unreadable = new ArrayList<>();
        ArchiveIndex index = ArchiveIndex.scanRange(storage, topic, selection.fromMs(), scanEnd(selection), unreadable);
        List<ArchiveIndex.Unit> units = index.restoreUnits();
        List<TailPosition> positions = List.of();
        KafkaTail.TailRead tail = null;
        if (snapshot != null) {
            // after the scan: no file it saw holds a record past the tail's end
            positions = snapshot.positionsAfterScan(KafkaTail.pastFiles(pastFilesScan(storage, topic, selection, index)));
            if (readTail) {
                tail = KafkaTail.read(kafka, positions, selection);
                long window = units.stream().filter(u -> u.partition() >= 0).mapToLong(u -> u.windowEndMs() - u.windowStartMs())
                        .findFirst().orElse(ArchiveLayout.HOUR_MS); // the archiver's default window
                units = TailUnits.into(units, tail, topic, window);
            }
        }
        List<ArchiveIndex.Unit> windows = units.stream().filter(u -> u.windowStartMs() < selection.toMs()
                && u.windowEndMs() > selection.fromMs() || selection.overlaps(u.eventTimeMinMs(), u.eventTimeMaxMs())).toList();
        units = units.stream().filter(u -> selection.overlaps(u.eventTimeMinMs(), u.eventTimeMaxMs())).toList();
        return new RestorePlan(topic, selection, units, unreadable, false, positions, tail, windows);
    }

    /**
     * Where the archive is read to: the range's end, or for a range without one ({@code restore --follow} without
     * {@code --to}), a day ahead of now. The Kafka tail holds every event time all the same.
     */
    static long scanEnd(Selection selection) {
        return selection.toMs() == Long.MAX_VALUE ? System.currentTimeMillis() + ArchiveIndex.MAX_WINDOW_MS : selection.toMs();
    }

    /** Where the archived files end, for partitions the archiver has committed nothing in: the range's files and the last day's. */
    private static List<ArchiveIndex.Unit> pastFilesScan(Storage storage, String topic, Selection selection, ArchiveIndex range)
            throws IOException {
        long now = System.currentTimeMillis();
        List<ArchiveIndex.Unit> units = new ArrayList<>(range.units());
        if (selection.toMs() < now) {
            units.addAll(ArchiveIndex.scanRange(storage, topic, Math.max(selection.toMs(), now - ArchiveIndex.MAX_WINDOW_MS), now + 1,
                    new ArrayList<>()).units());
        }
        return units;
    }
}
