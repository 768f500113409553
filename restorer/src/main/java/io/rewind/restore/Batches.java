package io.rewind.restore;

import io.rewind.archive.Sha256;
import io.rewind.archive.storage.Storage;
import io.rewind.restore.plan.Checkpoint;
import io.rewind.restore.plan.OutputSeries;
import io.rewind.restore.plan.Transforms;
import io.rewind.restore.source.ArchiveIndex;
import io.rewind.restore.source.SelectionReader;
import io.rewind.restore.targets.Batch;
import io.rewind.restore.targets.Slice;
import io.rewind.schema.PointKind;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The plan's selection cut into batches: unit by unit, at most a batch size of points of one kind each, numbered within
 * their unit, in an order that is the same on every run, so that a checkpoint can name the batches a target holds.
 */
public final class Batches {
    private Batches() {
    }

    /** Receives batches in unit and sequence order. */
    public interface Sink {
        /** @param alreadyWritten true for a batch an earlier run wrote: counted, not sent */
        void accept(Batch batch, boolean alreadyWritten) throws IOException, InterruptedException;

        /** Every batch of the unit was handed over. */
        default void unitProduced(String unit, int batches) throws IOException {
        }
    }

    /**
     * Reads the plan's selection unit by unit and cuts it into batches of at most {@code batchSize}
     * points of one kind. Units the checkpoint has as done are skipped without reading; batches it
     * has as acknowledged are produced again (the stream is deterministic) but marked as written.
     * Batches refer to the series read; the target encodes them, on its own threads.
     *
     * @return points per target metric
     */
    public static Map<String, Long> produce(Storage storage, RestorePlan plan, Transforms transforms, int batchSize,
            Checkpoint checkpoint, Sink sink) throws IOException, InterruptedException {
        Map<String, Long> perMetric = new TreeMap<>();
        ReplacedSeries.refuseMerges(storage, plan, transforms); // before any batch: no transform merges series it replaces
        SelectionReader reader = new SelectionReader(storage, plan.selection(), plan.replaces());
        for (ArchiveIndex.Unit unit : plan.units()) {
            String key = unitKey(unit);
            if (checkpoint != null && checkpoint.isDone(key)) {
                continue;
            }
            int acked = checkpoint == null ? 0 : checkpoint.ackedBatches(key);
            long[] domain = plan.replaces()
                    ? new long[] {Math.max(unit.windowStartMs(), plan.selection().fromMs()) + transforms.shiftMs(),
                            Math.min(unit.windowEndMs(), plan.selection().toMs()) + transforms.shiftMs()}
                    : null;
            Builder builder = new Builder(key, batchSize, acked, domain, sink);
            reader.read(unit, series -> {
                OutputSeries out = OutputSeries.of(series, transforms);
                if (out.size() > 0) {
                    perMetric.merge(out.metric(), (long) out.size(), Long::sum);
                }
                builder.add(out);
            });
            int batches = builder.finish();
            sink.unitProduced(key, batches);
            if (checkpoint != null) {
                checkpoint.allBatchesProduced(key, batches);
            }
        }
        return perMetric;
    }

    /**
     * Series cut into batches of at most {@code batchSize} points of one kind, numbered from 0 under {@code unit}, each handed
     * to the sink when it is full: what a follower sends of the points it reads from Kafka.
     */
    public static Builder builder(String unit, int batchSize, Sink sink) {
        return new Builder(unit, batchSize, 0, null, sink);
    }

    /** Batches of one unit, built series by series. */
    public static final class Builder {
        private final String unit;
        private final int batchSize;
        private final int alreadyWritten;
        private final long[] domain;
        private final Sink sink;
        private List<Slice> slices = new ArrayList<>();
        private PointKind kind;
        private int points;
        private int weight; // points, and one for each empty slice: what fills a batch
        private int seq;

        /** @param domain the unit's span of target time when the plan replaces, else null */
        private Builder(String unit, int batchSize, int alreadyWritten, long[] domain, Sink sink) {
            this.unit = unit;
            this.batchSize = batchSize;
            this.alreadyWritten = alreadyWritten;
            this.domain = domain;
            this.sink = sink;
        }

        public void add(OutputSeries series) throws IOException, InterruptedException {
            int n = series.size();
            if (n == 0) { // only when replacing: the series has nothing to restore in the span, and loses what the target holds there
                makeRoom(series);
                if (seq >= alreadyWritten) {
                    slices.add(new Slice(series, 0, 0, domain[0], domain[1]));
                }
                weight++;
                return;
            }
            for (int from = 0; from < n; ) {
                makeRoom(series);
                int to = Math.min(n, from + batchSize - weight);
                if (seq >= alreadyWritten) {
                    slices.add(domain == null ? new Slice(series, from, to)
                            : new Slice(series, from, to, from == 0 ? Math.min(domain[0], series.timestampMs(0)) : series.timestampMs(from),
                                    to == n ? Math.max(domain[1], series.timestampMs(n - 1) + 1) : series.timestampMs(to)));
                }
                points += to - from;
                weight += to - from;
                from = to;
            }
        }

        /** Flushes the batch when it is full or holds another kind of points. */
        private void makeRoom(OutputSeries series) throws IOException, InterruptedException {
            if (weight > 0 && (weight >= batchSize || series.kind() != kind)) {
                flush();
            }
            kind = series.kind();
        }

        private void flush() throws IOException, InterruptedException {
            boolean written = seq < alreadyWritten;
            sink.accept(new Batch(unit, seq, kind, written ? List.of() : slices, points), written);
            slices = new ArrayList<>();
            seq++;
            points = 0;
            weight = 0;
        }

        /** Hands over the last batch; returns how many there were. */
        public int finish() throws IOException, InterruptedException {
            if (weight > 0) {
                flush();
            }
            return seq;
        }
    }

    /** Points per target metric of the plan's selection, read without building any batch: what a dry run prints. */
    public static Map<String, Long> countPerMetric(Storage storage, RestorePlan plan, Transforms transforms) throws IOException, InterruptedException {
        Map<String, Long> perMetric = new TreeMap<>();
        SelectionReader reader = new SelectionReader(storage, plan.selection());
        for (ArchiveIndex.Unit unit : plan.units()) {
            reader.read(unit, series -> perMetric.merge(transforms.metric(series.id().key().metric()), (long) series.size(), Long::sum));
        }
        return perMetric;
    }

    /** A unit's name in the checkpoint: its directory, the files it was read from and the Kafka tail's offsets. */
    public static String unitKey(ArchiveIndex.Unit unit) {
        MessageDigest sha = Sha256.digest();
        unit.live().forEach(f -> sha.update((f.key() + "\n").getBytes(StandardCharsets.UTF_8)));
        sha.update(unit.tail().offsets().getBytes(StandardCharsets.UTF_8));
        return unit.directory() + "@" + HexFormat.of().formatHex(sha.digest(), 0, 8);
    }
}
