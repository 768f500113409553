package io.rewind.archive.segment;

import io.rewind.archive.LookaheadIterator;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.PriorityQueue;

/**
 * Merges several files of one (window, partition), each in series order, into one stream in series
 * order, by a k-way merge that holds one series per input at a time. For each series the points of
 * all inputs are merged by (timestamp, ingest time) and the same version read twice collapses to
 * one (guarantee 2). The inputs come in arrival order ({@link SegmentMetadata#ARRIVAL_ORDER}, the Kafka tail
 * last): versions of one timestamp ingested in the same millisecond keep that order, so that the one received
 * last wins (guarantee 11). Then, by the rule of guarantee 4:
 * <ul>
 *   <li>{@link #allVersions}: every distinct version of a (series, timestamp) stays, with its
 *       ingest time: what compaction writes, so that any later point in time can still be restored;</li>
 *   <li>{@link #asOf}: for each (series, timestamp), only the latest version ingested at or before
 *       the given time; points first ingested after it are absent: what a restore replays.</li>
 * </ul>
 */
public final class SegmentMerger extends LookaheadIterator<SeriesPoints> {
    private final long asOfMs;
    private final boolean latestOnly;
    private final boolean keepEmpty;
    private final PriorityQueue<Head> heads = new PriorityQueue<>(
            Comparator.comparing((Head h) -> h.points.id()).thenComparingInt(Head::input));
    private final List<? extends Iterator<SeriesPoints>> inputs;

    private SegmentMerger(List<? extends Iterator<SeriesPoints>> inputs, long asOfMs, boolean latestOnly, boolean keepEmpty) {
        this.asOfMs = asOfMs;
        this.latestOnly = latestOnly;
        this.keepEmpty = keepEmpty;
        this.inputs = List.copyOf(inputs);
        for (int i = 0; i < inputs.size(); i++) {
            advance(i);
        }
    }

    /** Every distinct version of every point, for compaction. */
    public static SegmentMerger allVersions(List<? extends Iterator<SeriesPoints>> inputs) {
        return new SegmentMerger(inputs, Long.MAX_VALUE, false, false);
    }

    /** The archive as it was at {@code asOfMs} (ingest time); {@link Long#MAX_VALUE} for the latest. */
    public static SegmentMerger asOf(List<? extends Iterator<SeriesPoints>> inputs, long asOfMs) {
        return new SegmentMerger(inputs, asOfMs, true, false);
    }

    /**
     * As {@link #asOf}, and a series whose every version was ingested after {@code asOfMs} comes out empty rather than
     * not at all: what a restore that replaces the target's series must know to remove one first written after it.
     */
    public static SegmentMerger asOfWithEmptySeries(List<? extends Iterator<SeriesPoints>> inputs, long asOfMs) {
        return new SegmentMerger(inputs, asOfMs, true, true);
    }

    @Override
    protected SeriesPoints computeNext() {
        while (!heads.isEmpty()) {
            List<SeriesPoints> same = new ArrayList<>();
            SeriesId id = heads.peek().points.id();
            while (!heads.isEmpty() && heads.peek().points.id().equals(id)) {
                Head head = heads.poll();
                same.add(head.points);
                advance(head.input);
            }
            SeriesPoints merged = select(merge(id, same));
            if (merged.size() > 0 || keepEmpty) {
                return merged;
            }
        }
        return null;
    }

    private void advance(int input) {
        Iterator<SeriesPoints> it = inputs.get(input);
        if (it.hasNext()) {
            heads.add(new Head(it.next(), input));
        }
    }

    private static SeriesPoints merge(SeriesId id, List<SeriesPoints> parts) {
        if (parts.size() == 1) {
            return parts.get(0).sorted();
        }
        int total = parts.stream().mapToInt(SeriesPoints::size).sum();
        SeriesPoints all = new SeriesPoints(id, total);
        for (SeriesPoints part : parts) {
            for (int i = 0; i < part.size(); i++) {
                all.addFrom(part, i);
            }
        }
        return all.sorted();
    }

    /** Applies the as-of rule to points sorted by (timestamp, ingest time). */
    private SeriesPoints select(SeriesPoints sorted) {
        if (!latestOnly) {
            return sorted;
        }
        SeriesPoints out = new SeriesPoints(sorted.id(), sorted.size());
        int chosen = -1;
        for (int i = 0; i < sorted.size(); i++) {
            if (chosen >= 0 && sorted.timestampMs(i) != sorted.timestampMs(chosen)) {
                out.addFrom(sorted, chosen);
                chosen = -1;
            }
            if (sorted.ingestTimeMs(i) <= asOfMs) {
                chosen = i;
            }
        }
        if (chosen >= 0) {
            out.addFrom(sorted, chosen);
        }
        return out;
    }

    private record Head(SeriesPoints points, int input) {
    }
}
