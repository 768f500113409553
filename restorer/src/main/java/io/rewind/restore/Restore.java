package io.rewind.restore;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.rewind.archive.RateLimit;
import io.rewind.archive.Sha256;
import io.rewind.archive.storage.Storage;
import io.rewind.schema.PointKind;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A restore: plan (which units, how many points), then replay the selection in batches to the
 * targets, {@code parallelism} batches at a time, recording finished batches in the checkpoint and
 * refused points in the reject file.
 */
public final class Restore {
    private static final JsonFactory JSON = new JsonFactory();

    private Restore() {
    }

    /**
     * What a restore reads: the units of the range, and the files that could not be read. A plan that {@code replaces}
     * hands each batch the time span its series cover in the target ({@link Slice#domainFromMs()}), series with no
     * point in it included, so that a target can remove what the archive lacks there; it reads every unit whose window
     * overlaps the range, one with no point in the range included ({@code windows}: its series lose what the target holds
     * there). With Kafka, {@code kafka} says where the archive stands in each partition of the points topic, and
     * {@code tail} is what was read past it (null when the tail is not restored).
     */
    public record Plan(String topic, Selection selection, List<ArchiveIndex.Unit> units, List<String> unreadable, boolean replaces,
            List<KafkaTail.Position> kafka, KafkaTail.Tail tail, List<ArchiveIndex.Unit> windows) {
        public Plan(String topic, Selection selection, List<ArchiveIndex.Unit> units, List<String> unreadable, boolean replaces) {
            this(topic, selection, units, unreadable, replaces, List.of(), null, units);
        }

        /** This plan, replacing the target's series: every unit of {@code windows}, with points in the range or not. */
        public Plan replacing() {
            return new Plan(topic, selection, windows, unreadable, true, kafka, tail, windows);
        }

        /** Points of the selection read from the Kafka tail. */
        public long tailPoints() {
            return tail == null ? 0 : tail.points();
        }

        /** Records of the points topic past the archive, which a restore without the tail leaves out. */
        public long recordsLeftInKafka() {
            return tail != null ? 0 : kafka.stream().mapToLong(KafkaTail.Position::records).sum();
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
    }

    public static Plan plan(Storage storage, String topic, Selection selection) throws IOException {
        return plan(storage, topic, selection, null, false);
    }

    /** Window of the units the Kafka tail makes where the archive has none: the archiver's default. */
    private static final long TAIL_WINDOW_MS = 3_600_000L;

    /**
     * The plan, with the points topic: where the archive stands in each partition, and when {@code readTail}, the tail
     * read past it, its points merged into the units of their windows (guarantee 7).
     */
    public static Plan plan(Storage storage, String topic, Selection selection, KafkaTail.Settings kafka, boolean readTail)
            throws IOException {
        KafkaTail.Snapshot snapshot = kafka == null ? null : KafkaTail.snapshot(kafka); // before the scan: see KafkaTail
        List<String> unreadable = new ArrayList<>();
        ArchiveIndex index = ArchiveIndex.scanRange(storage, topic, selection.fromMs(), selection.toMs(), unreadable);
        List<ArchiveIndex.Unit> units = index.restoreUnits();
        List<KafkaTail.Position> positions = List.of();
        KafkaTail.Tail tail = null;
        if (snapshot != null) {
            positions = snapshot.positions(KafkaTail.pastFiles(pastFilesScan(storage, topic, selection, index)));
            if (readTail) {
                tail = KafkaTail.read(kafka, positions, selection);
                long window = units.stream().filter(u -> u.partition() >= 0).mapToLong(u -> u.windowEndMs() - u.windowStartMs())
                        .findFirst().orElse(TAIL_WINDOW_MS);
                units = KafkaTail.into(units, tail, topic, window);
            }
        }
        List<ArchiveIndex.Unit> windows = units.stream().filter(u -> u.windowStartMs() < selection.toMs()
                && u.windowEndMs() > selection.fromMs() || selection.overlaps(u.eventTimeMinMs(), u.eventTimeMaxMs())).toList();
        units = units.stream().filter(u -> selection.overlaps(u.eventTimeMinMs(), u.eventTimeMaxMs())).toList();
        return new Plan(topic, selection, units, unreadable, false, positions, tail, windows);
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

    /** Points per target metric of the plan's selection, read without building any batch: what a dry run prints. */
    public static Map<String, Long> countPerMetric(Storage storage, Plan plan, Transforms transforms) throws IOException, InterruptedException {
        Map<String, Long> perMetric = new TreeMap<>();
        SelectionReader reader = new SelectionReader(storage, plan.selection());
        for (ArchiveIndex.Unit unit : plan.units()) {
            reader.read(unit, series -> perMetric.merge(transforms.metric(series.id().key().metric()), (long) series.size(), Long::sum));
        }
        return perMetric;
    }

    /** A unit's name in the checkpoint: its directory, the files it was read from and the Kafka tail's offsets. */
    static String unitKey(ArchiveIndex.Unit unit) {
        MessageDigest sha = Sha256.digest();
        unit.live().forEach(f -> sha.update((f.key() + "\n").getBytes(StandardCharsets.UTF_8)));
        sha.update(unit.tail().offsets().getBytes(StandardCharsets.UTF_8));
        return unit.directory() + "@" + HexFormat.of().formatHex(sha.digest(), 0, 8);
    }

    /**
     * Points {@code [from, to)} of one output series. When the plan replaces, {@code [domainFromMs, domainToMs)} is the
     * span of target time these points are all the series holds in (the unit's window within the selection's range,
     * shifted, cut where the series is split between batches); otherwise the span is empty.
     */
    public record Slice(OutputSeries series, int from, int to, long domainFromMs, long domainToMs) {
        public Slice(OutputSeries series, int from, int to) {
            this(series, from, to, 0, 0);
        }
    }

    /**
     * One batch: at most a batch size of points of one kind, numbered within its unit. A batch an
     * earlier run wrote has no slices: it is counted, never encoded.
     */
    public record Batch(String unit, int seq, PointKind kind, List<Slice> slices, int points) {
        /** The batch as the JSON array of OpenTSDB's /api/put, /api/rollup or /api/histogram. */
        public byte[] json() throws IOException {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(points * 128 + 16);
            try (JsonGenerator json = JSON.createGenerator(bytes)) {
                json.writeStartArray();
                for (Slice slice : slices) {
                    for (int i = slice.from(); i < slice.to(); i++) {
                        slice.series().writeJson(json, i);
                    }
                }
                json.writeEndArray();
            }
            return bytes.toByteArray();
        }
    }

    /** Receives batches in unit and sequence order. */
    public interface BatchSink {
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
    public static Map<String, Long> produce(Storage storage, Plan plan, Transforms transforms, int batchSize,
            Checkpoint checkpoint, BatchSink sink) throws IOException, InterruptedException {
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
            BatchBuilder builder = new BatchBuilder(key, batchSize, acked, domain, sink);
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

    private static final class BatchBuilder {
        private final String unit;
        private final int batchSize;
        private final int alreadyWritten;
        private final long[] domain;
        private final BatchSink sink;
        private List<Slice> slices = new ArrayList<>();
        private PointKind kind;
        private int points;
        private int weight; // points, and one for each empty slice: what fills a batch
        private int seq;

        /** @param domain the unit's span of target time when the plan replaces, else null */
        BatchBuilder(String unit, int batchSize, int alreadyWritten, long[] domain, BatchSink sink) {
            this.unit = unit;
            this.batchSize = batchSize;
            this.alreadyWritten = alreadyWritten;
            this.domain = domain;
            this.sink = sink;
        }

        void add(OutputSeries series) throws IOException, InterruptedException {
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

        int finish() throws IOException, InterruptedException {
            if (weight > 0) {
                flush();
            }
            return seq;
        }
    }

    /** What a restore run did. */
    public record Result(long pointsSent, long pointsFromEarlierRuns, long rejected, long retries, Map<String, Long> perMetric,
            long elapsedMs) {
    }

    /** Counters a progress display reads while the restore runs. */
    public static final class Progress {
        public final AtomicLong sent = new AtomicLong();
        public final AtomicLong skipped = new AtomicLong();
        public final AtomicLong rejected = new AtomicLong();
    }

    /** Where a restore's batches go; called by several senders at once. */
    public interface Target {
        /** Stores one batch; returns how many of its points the target refused. */
        int write(Batch batch) throws IOException, InterruptedException;

        /** How many writes were retried. */
        long retries();
    }

    /**
     * The target, at most {@code limit} points per second over all senders (a token bucket shared by them): a restore
     * into a cluster that serves live traffic. Each batch waits for its points' tokens before it is written.
     */
    public static Target limited(Target target, RateLimit limit) {
        if (!limit.limited()) {
            return target;
        }
        return new Target() {
            @Override
            public int write(Batch batch) throws IOException, InterruptedException {
                limit.acquire(batch.points());
                return target.write(batch);
            }

            @Override
            public long retries() {
                return target.retries();
            }
        };
    }

    /**
     * Replays the plan into the target; fails with the first error a sender could not overcome.
     *
     * <p>Every sender consumes the queue until it takes its own end marker, which it gets only after
     * every batch before it: nothing is ever taken out of the queue unsent, so a restore that returns
     * normally wrote every batch however slowly the target answered. After a failure the senders
     * skip what is left (it is not in the checkpoint, so a rerun sends it).
     */
    public static Result run(Storage storage, Plan plan, Transforms transforms, int batchSize, int parallelism,
            Target target, Checkpoint checkpoint, Progress progress) throws IOException, InterruptedException {
        long started = System.nanoTime();
        BlockingQueue<Batch> queue = new ArrayBlockingQueue<>(parallelism * 2);
        AtomicReference<Exception> failure = new AtomicReference<>();
        Batch end = new Batch("", -1, PointKind.PUT, List.of(), 0);
        List<Thread> senders = new ArrayList<>();
        for (int t = 0; t < parallelism; t++) {
            Thread sender = new Thread(() -> {
                for (Batch batch = take(queue, failure); batch != end; batch = take(queue, failure)) {
                    if (failure.get() != null) {
                        continue;
                    }
                    try {
                        int refused = target.write(batch);
                        if (checkpoint != null) {
                            checkpoint.acked(batch.unit(), batch.seq(), batch.points());
                        }
                        progress.sent.addAndGet(batch.points() - refused);
                        progress.rejected.addAndGet(refused);
                    } catch (Exception e) {
                        failure.compareAndSet(null, e);
                    }
                }
            }, "rewind-restore-sender-" + t);
            sender.setDaemon(true);
            sender.start();
            senders.add(sender);
        }
        Map<String, Long> perMetric;
        try {
            perMetric = produce(storage, plan, transforms, batchSize, checkpoint, (batch, alreadyWritten) -> {
                if (alreadyWritten) {
                    progress.skipped.addAndGet(batch.points());
                    return;
                }
                while (!queue.offer(batch, 200, TimeUnit.MILLISECONDS)) {
                    throwIfFailed(failure);
                }
                throwIfFailed(failure);
            });
        } finally {
            for (int t = 0; t < parallelism; t++) {
                queue.put(end);
            }
            for (Thread sender : senders) {
                sender.join();
            }
        }
        throwIfFailed(failure);
        return new Result(progress.sent.get() + progress.rejected.get(), progress.skipped.get(), progress.rejected.get(),
                target.retries(), perMetric, (System.nanoTime() - started) / 1_000_000);
    }

    /** The next batch; an interrupt fails the restore, and the sender still consumes up to its end marker. */
    private static Batch take(BlockingQueue<Batch> queue, AtomicReference<Exception> failure) {
        while (true) {
            try {
                return queue.take();
            } catch (InterruptedException e) {
                failure.compareAndSet(null, e);
            }
        }
    }

    private static void throwIfFailed(AtomicReference<Exception> failure) throws IOException {
        Exception e = failure.get();
        if (e instanceof IOException io) {
            throw io;
        }
        if (e instanceof RuntimeException runtime) {
            throw runtime;
        }
        if (e != null) {
            throw new IOException(e.getMessage(), e);
        }
    }

    /** Identifies a restore's parameters, so that a checkpoint is continued only by the same restore. */
    public static String fingerprint(List<String> arguments) {
        MessageDigest sha = Sha256.digest();
        for (String part : arguments) {
            sha.update(part.getBytes(StandardCharsets.UTF_8));
            sha.update((byte) 0);
        }
        return HexFormat.of().formatHex(sha.digest());
    }
}
