package io.rewind.archiver.buffer;

import io.rewind.archive.segment.SeriesId;
import io.rewind.archive.segment.SeriesPoints;
import io.rewind.archiver.streams.PreCommitStore;
import io.rewind.schema.Point;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The points one task read since its last commit, compactly in memory, per (window, series), and the
 * hook that writes them before the commit (guarantee 2).
 *
 * <p>It takes part in Kafka Streams' commit as a {@link PreCommitStore}: {@link #beforeCommit()} runs the
 * {@link Flusher}, which writes the parts durably and sends their catalog records into the same transaction,
 * before the task's offsets are committed. If the flusher fails, the commit fails, the offsets stay where they
 * were, and the points are read again. A task closed without committing drops the buffer ({@link #discard()},
 * {@link #close()}) for the same reason. It keeps nothing on disk and has no changelog: every point's only durable
 * copy until the commit is the input topic.
 */
public final class PartBuffer extends PreCommitStore {
    /** Rough heap cost of one buffered point: three longs, two bits, array slack. */
    static final long BYTES_PER_POINT = 32;
    static final long BYTES_PER_SERIES = 400;

    /** Writes what the buffer holds; throws to fail the commit. */
    @FunctionalInterface
    public interface Flusher {
        void flush(Content content);
    }

    /** What one task read in one commit interval: input offsets, and per window the points of each series. */
    public record Content(long firstOffset, long lastOffset, long points, Map<Long, Map<SeriesId, SeriesPoints>> windows) {
        /** The windows in time order, each with its series in file order. */
        public Map<Long, TreeMap<SeriesId, SeriesPoints>> sorted() {
            Map<Long, TreeMap<SeriesId, SeriesPoints>> out = new TreeMap<>();
            windows.forEach((window, series) -> out.put(window, new TreeMap<>(series)));
            return out;
        }
    }

    private final long windowSizeMs;
    private final AtomicLong instanceBytes;
    private Map<Long, Map<SeriesId, SeriesPoints>> windows = new HashMap<>();
    private long firstOffset = -1;
    private long lastOffset = -1;
    private long points;
    private long bytes;
    private Flusher flusher;

    /**
     * @param instanceBytes shared by the buffers of one archiver instance: what they hold together,
     *                      for the early-commit limit and the buffer metric
     */
    public PartBuffer(String name, long windowSizeMs, AtomicLong instanceBytes) {
        super(name);
        this.windowSizeMs = windowSizeMs;
        this.instanceBytes = instanceBytes;
    }

    /** Sets what writes the buffer before each commit; the processor does, when it starts. */
    public void onCommit(Flusher flusher) {
        this.flusher = flusher;
    }

    /** The start of the window that holds the event time. */
    private long windowOf(long timestampMs) {
        return Math.floorDiv(timestampMs, windowSizeMs) * windowSizeMs;
    }

    /** Buffers a point read at the offset, received by the tap at {@code ingestMs}; returns the start of its window. */
    public long add(SeriesId id, Point point, long ingestMs, long offset) {
        long window = windowOf(point.getTimestampMs());
        Map<SeriesId, SeriesPoints> series = windows.computeIfAbsent(window, w -> new HashMap<>());
        SeriesPoints buffered = series.get(id);
        long added = BYTES_PER_POINT;
        if (buffered == null) {
            buffered = new SeriesPoints(id, 8);
            series.put(id, buffered);
            added += BYTES_PER_SERIES;
        }
        buffered.add(point, ingestMs);
        if (firstOffset < 0 || offset < firstOffset) {
            firstOffset = offset;
        }
        lastOffset = Math.max(lastOffset, offset);
        points++;
        bytes += added;
        instanceBytes.addAndGet(added);
        return window;
    }

    /** Whether points of the window wait in the buffer. */
    public boolean holds(long windowStartMs) {
        return windows.containsKey(windowStartMs);
    }

    public long points() {
        return points;
    }

    public long bytes() {
        return bytes;
    }

    /** Kafka Streams calls this before it commits the task: the buffer is written, then emptied. */
    @Override
    protected void beforeCommit() {
        if (points == 0) {
            return;
        }
        if (flusher == null) {
            throw new IllegalStateException("The part buffer " + name() + " holds points but no flusher was set");
        }
        flusher.flush(new Content(firstOffset, lastOffset, points, windows));
        clear();
    }

    /** The task is closing without a commit, or its state is being reset: the points will be read again. */
    @Override
    protected void discard() {
        clear();
    }

    private void clear() {
        instanceBytes.addAndGet(-bytes);
        windows = new HashMap<>();
        firstOffset = -1;
        lastOffset = -1;
        points = 0;
        bytes = 0;
    }
}
