package io.rewind.restore.follow;

import io.rewind.archive.segment.SeriesId;
import io.rewind.archive.segment.SeriesPoints;
import io.rewind.archive.storage.Backoff;
import io.rewind.restore.Batches;
import io.rewind.restore.plan.OutputSeries;
import io.rewind.restore.plan.Selection;
import io.rewind.restore.plan.Transforms;
import io.rewind.restore.source.KafkaTail;
import io.rewind.restore.targets.Batch;
import io.rewind.restore.targets.Target;
import io.rewind.schema.Point;
import io.rewind.schema.SeriesKey;
import io.rewind.schema.wire.WireFormat;
import io.rewind.schema.wire.WireFormatException;
import io.rewind.schema.wire.WireFormats;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.Properties;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.OffsetOutOfRangeException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a target fed with the points topic as it grows ({@code restore --follow}): a Kafka consumer of its own group reads
 * each new record, keeps the points of the selection, transforms them as the restore does, and writes them in batches;
 * a partition's offset is committed only once the target has acknowledged every selected point before it, so that a
 * restart continues where the target stands, and a point is written once unless the follower dies between an
 * acknowledgement and its commit.
 *
 * <p>Order: the records of one partition go through one lane, a sender that writes one batch at a time, so that the
 * versions of a point (one series, one partition) reach the target in the order they arrived; within a batch only the
 * last version of a (series, timestamp) is written, the one the archive's as-of rule keeps.
 *
 * <p>The target down: a batch is retried with backoff until the target takes it, never dropped; while the points read and
 * not yet acknowledged reach {@code maxBufferedPoints}, the consumer stops fetching (it stays in its group), so the
 * pressure falls on Kafka's retention, never on production. Records Kafka deleted before the follower read them are
 * counted as lost and said.
 */
public final class Follower {
    private static final Logger log = LoggerFactory.getLogger(Follower.class);
    private static final Duration COMMIT_EVERY = Duration.ofSeconds(1);
    private static final Duration LAG_EVERY = Duration.ofSeconds(1);
    private static final int KEY_CACHE = 100_000;

    /**
     * @param linger the longest a point waits for its batch to fill
     * @param lanes senders, each writing the partitions {@code p % lanes == i} one batch at a time
     * @param maxBufferedPoints points read and not yet acknowledged past which the consumer stops fetching
     * @param stopGrace how long a stop waits for the batches in flight before it leaves them to the next run
     * @param fingerprint what the group follows (the restore's selection, transforms and targets), kept with its offsets
     * @param writeTimeout the longest one write to the target takes: how long partitions leaving this follower wait for a
     *        write under way, so that it never lands after the next owner's
     */
    public record Settings(KafkaTail.Settings kafka, String group, String fingerprint, Selection selection, Transforms transforms,
            int batchSize, Duration linger, int lanes, long maxBufferedPoints, Duration backoffMin, Duration backoffMax,
            Duration stopGrace, Duration writeTimeout) {
        public Settings {
            if (batchSize < 1 || lanes < 1 || maxBufferedPoints < batchSize) {
                throw new IllegalArgumentException("a follower needs a batch size and lanes of at least 1, and a buffer of at least"
                        + " one batch: " + batchSize + ", " + lanes + ", " + maxBufferedPoints);
            }
        }
    }

    private final Settings settings;
    private final Target target;
    private final FollowMetrics metrics;
    private final Predicate<SeriesId> seriesFilter;
    private final WireFormat<Point> format;
    private final Lane[] lanes;
    /** Whether the series of a record key is selected: most records repeat a series seen before. */
    private final Map<ByteBuffer, Boolean> selectedKeys = new HashMap<>();
    /** Per partition: the offset past the last record read, and past the last one the target holds (poll thread only). */
    private final Map<TopicPartition, Long> read = new HashMap<>();
    private final Map<TopicPartition, Long> acked = new HashMap<>();
    private final Map<TopicPartition, Long> committed = new HashMap<>();
    private final Object ackSignal = new Object();
    private volatile boolean stopping;
    private volatile boolean abandoned;
    private boolean paused;
    private long lastCaughtUpMs = System.currentTimeMillis();

    public Follower(Settings settings, Target target, FollowMetrics metrics) {
        this.settings = settings;
        this.target = target;
        this.metrics = metrics;
        this.seriesFilter = settings.selection().seriesFilter();
        this.format = WireFormats.forTopic(settings.kafka().topic(), Point.class, settings.kafka().schemaRegistry(), Optional.empty());
        this.lanes = new Lane[settings.lanes()];
        for (int i = 0; i < lanes.length; i++) {
            lanes[i] = new Lane(i);
        }
    }

    /**
     * Where a follower of the group starts: the offsets it committed, each partition's, when it has followed before; empty
     * when the restore must run first (a new group, or {@code fresh}, which deletes the group's old offsets).
     *
     * @throws IllegalStateException when the group's offsets were committed for another selection, transforms or target
     *         ({@code fingerprint}), or when the restore must run while a member of the group runs
     */
    public static Map<Integer, Long> startingOffsets(KafkaTail.Settings kafka, String group, String fingerprint, boolean fresh) {
        return Offsets.start(kafka, group, fingerprint, fresh);
    }

    /**
     * Commits each partition's offset for the group before its first follower starts: where the restore of the archive and
     * the Kafka tail ended ({@link io.rewind.restore.source.TailPosition#end()}).
     */
    public static void handOver(KafkaTail.Settings kafka, String group, String fingerprint, Map<Integer, Long> ends) {
        Offsets.commit(kafka, group, fingerprint, ends);
    }

    /** Follows the topic until {@link #stop()}; returns once the batches in flight are written (or the grace has passed). */
    public void run() throws InterruptedException {
        Properties props = KafkaTail.consumerProperties(settings.kafka());
        props.put(ConsumerConfig.GROUP_ID_CONFIG, settings.group());
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, "rewind-follow-" + settings.group());
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, Integer.toString(Math.max(500, Math.min(settings.batchSize(), 10_000))));
        for (Lane lane : lanes) {
            lane.sender.start();
        }
        KafkaConsumer<byte[], byte[]> kafka = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        try {
            if (stopping) {
                return;
            }
            kafka.subscribe(List.of(settings.kafka().topic()), new Rebalance(kafka));
            long pollMs = Math.max(1, Math.min(100, settings.linger().toMillis()));
            long nextCommit = 0;
            long nextLag = 0;
            boolean interrupt = false;
            while (!stopping) {
                backPressure(kafka);
                ConsumerRecords<byte[], byte[]> records;
                try {
                    records = kafka.poll(Duration.ofMillis(pollMs));
                } catch (OffsetOutOfRangeException deleted) {
                    lost(kafka, deleted);
                    continue;
                } catch (WakeupException stop) {
                    continue;
                } catch (InterruptException interrupted) { // the thread interrupted: a stop, as stop() asks
                    Thread.interrupted();
                    stopping = true;
                    interrupt = true;
                    continue;
                }
                for (ConsumerRecord<byte[], byte[]> record : records) {
                    take(record);
                }
                dispatch(false);
                long now = System.nanoTime();
                if (now >= nextCommit) {
                    commit(kafka, false);
                    nextCommit = now + COMMIT_EVERY.toNanos();
                }
                if (now >= nextLag) {
                    lag(kafka);
                    nextLag = now + LAG_EVERY.toNanos();
                }
            }
            dispatch(true);
            awaitInFlight(System.nanoTime() + settings.stopGrace().toNanos());
            commit(kafka, true);
            if (interrupt) {
                Thread.currentThread().interrupt();
            }
        } finally {
            abandoned = true;
            for (Lane lane : lanes) {
                lane.queue.add(Dispatch.END);
                lane.sender.interrupt(); // a batch still retried after the grace is left to the next run: its offsets are not committed
            }
            try {
                kafka.close(Duration.ofSeconds(5)); // leaves the group; its partitions' offsets are committed above
            } catch (RuntimeException e) {
                log.warn("Closing the follower's consumer: {}", e.toString()); // never instead of the error that ended the loop
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            for (Lane lane : lanes) {
                try {
                    lane.sender.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
    }

    /**
     * Asks {@link #run()} to write what it holds, commit and return; from any thread. The loop sees it within a poll (at most
     * 100 ms): no wakeup, which would fail a commit under way.
     */
    public void stop() {
        stopping = true;
    }

    /** One record: its points go to its partition's lane when the selection keeps them. */
    private void take(ConsumerRecord<byte[], byte[]> record) {
        TopicPartition tp = new TopicPartition(record.topic(), record.partition());
        read.put(tp, record.offset() + 1);
        metrics.recordsRead.increment();
        ByteBuffer key = record.key() == null ? null : ByteBuffer.wrap(record.key());
        Boolean selected = key == null ? null : selectedKeys.get(key);
        if (Boolean.FALSE.equals(selected)) {
            metrics.recordsSkipped.increment();
            return;
        }
        Point point;
        try {
            point = format.decode(record.value());
        } catch (WireFormatException | NullPointerException e) {
            metrics.recordsUndecodable.increment(); // the archiver skips it too
            return;
        }
        SeriesId id = new SeriesId(SeriesKey.of(point), point.getKind(), point.getRollup());
        if (selected == null) {
            selected = seriesFilter.test(id);
            if (key != null) {
                if (selectedKeys.size() >= KEY_CACHE) {
                    selectedKeys.clear();
                }
                selectedKeys.put(key, selected);
            }
        }
        if (!selected || !settings.selection().inRange(point.getTimestampMs())) {
            metrics.recordsSkipped.increment();
            return;
        }
        Lane lane = lanes[record.partition() % lanes.length];
        lane.pending.computeIfAbsent(id, i -> new SeriesPoints(i, 8)).add(point, record.timestamp());
        if (lane.pendingPoints++ == 0) {
            lane.pendingSinceNanos = System.nanoTime();
        }
        lane.oldestPendingReceiptMs = Math.min(lane.oldestPendingReceiptMs, record.timestamp());
        lane.newestPendingReceiptMs = Math.max(lane.newestPendingReceiptMs, record.timestamp());
        metrics.buffered.incrementAndGet();
    }

    /** Hands each lane's points to its sender once they fill a batch or have waited the linger time; {@code all}: every lane's. */
    private void dispatch(boolean all) {
        long now = System.nanoTime();
        for (Lane lane : lanes) {
            if (lane.pendingPoints > 0 && (all || lane.pendingPoints >= settings.batchSize()
                    || now - lane.pendingSinceNanos >= settings.linger().toNanos())) {
                lane.dispatch();
            }
        }
    }

    /** Stops fetching while the buffer is full; fetches again once half of it is written. */
    private void backPressure(KafkaConsumer<byte[], byte[]> kafka) {
        long buffered = metrics.buffered.get();
        if (!paused && buffered >= settings.maxBufferedPoints()) {
            kafka.pause(kafka.assignment());
            paused = true;
            metrics.paused.set(1);
        } else if (paused && buffered <= settings.maxBufferedPoints() / 2) {
            kafka.resume(kafka.assignment());
            paused = false;
            metrics.paused.set(0);
        }
    }

    /** The offsets the target holds everything before: from acknowledged batches, and from lanes with nothing in flight. */
    private void advance() {
        for (Lane lane : lanes) {
            while (!lane.inFlight.isEmpty() && lane.inFlight.peekFirst().acked) {
                lane.inFlight.pollFirst().offsets.forEach((tp, offset) -> acked.merge(tp, offset, Math::max));
            }
            if (lane.inFlight.isEmpty() && lane.pendingPoints == 0) {
                read.forEach((tp, offset) -> {
                    if (tp.partition() % lanes.length == lane.index) {
                        acked.merge(tp, offset, Math::max);
                    }
                });
            }
        }
    }

    private void commit(KafkaConsumer<byte[], byte[]> kafka, boolean sync) {
        commit(kafka, sync, kafka.assignment());
    }

    /** Commits the partitions' offsets the target holds everything before, where they moved. */
    private void commit(KafkaConsumer<byte[], byte[]> kafka, boolean sync, Collection<TopicPartition> partitions) {
        advance();
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        for (TopicPartition tp : partitions) {
            Long offset = acked.get(tp);
            if (offset != null && offset > committed.getOrDefault(tp, -1L)) {
                offsets.put(tp, new OffsetAndMetadata(offset, settings.fingerprint()));
            }
        }
        if (offsets.isEmpty()) {
            return;
        }
        if (sync) {
            try {
                try {
                    kafka.commitSync(offsets, settings.kafka().timeout());
                } catch (WakeupException stopAsked) { // the stop's wakeup, still pending: it is spent now
                    kafka.commitSync(offsets, settings.kafka().timeout());
                }
                offsets.forEach((tp, o) -> committed.merge(tp, o.offset(), Math::max));
            } catch (RuntimeException e) {
                log.warn("Committing the follower's offsets failed; a restart writes the points since the last commit again: {}",
                        e.toString());
            }
        } else {
            kafka.commitAsync(offsets, (done, failure) -> {
                if (failure == null) {
                    done.forEach((tp, o) -> committed.merge(tp, o.offset(), Math::max));
                } else {
                    log.debug("commit failed, retried with the next: {}", failure.toString());
                }
            });
        }
    }

    /** Waits until every lane's batches are acknowledged, or the deadline (then a stop leaves them to the next run). */
    private void awaitInFlight(long deadlineNanos) throws InterruptedException {
        awaitInFlight(deadlineNanos, false);
    }

    /** The same; {@code untilStop}: a stop asked meanwhile ends the wait too (the stop waits for them itself). */
    private void awaitInFlight(long deadlineNanos, boolean untilStop) throws InterruptedException {
        synchronized (ackSignal) {
            while (Math.max(0, deadlineNanos - System.nanoTime()) > 0 && !(untilStop && stopping)) {
                advance();
                boolean idle = true;
                for (Lane lane : lanes) {
                    idle &= lane.inFlight.isEmpty();
                }
                if (idle) {
                    return;
                }
                TimeUnit.NANOSECONDS.timedWait(ackSignal, Math.min(deadlineNanos - System.nanoTime(), TimeUnit.MILLISECONDS.toNanos(200)));
            }
        }
        log.warn("Stopped with batches still unacknowledged after {}: the next run writes them again", settings.stopGrace());
    }

    /** Waits until no sender is inside a write to the target (a cancelled batch's write under way lands before this returns). */
    private void awaitNoWriteUnderWay(long deadlineNanos) {
        synchronized (ackSignal) {
            while (System.nanoTime() < deadlineNanos && !stopping) {
                boolean writing = false;
                for (Lane lane : lanes) {
                    writing |= lane.writing;
                }
                if (!writing) {
                    return;
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(ackSignal, Math.min(deadlineNanos - System.nanoTime(), TimeUnit.MILLISECONDS.toNanos(200)));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
        log.warn("A write to the target was still under way after {}: it may land after the next follower's", settings.writeTimeout());
    }

    /** Kafka deleted records before they were read: counted, said, and the partitions continue from their log start. */
    private void lost(KafkaConsumer<byte[], byte[]> kafka, OffsetOutOfRangeException deleted) {
        Map<TopicPartition, Long> starts = KafkaTail.seekToLogStart(kafka, deleted, settings.kafka().timeout());
        deleted.offsetOutOfRangePartitions().forEach((tp, offset) -> {
            long gone = starts.get(tp) - offset;
            metrics.recordsLost.increment(gone);
            log.error("Kafka deleted {} record(s) of {} before the follower read them (offsets {} to {}): the target lacks their points;"
                    + " a restore of their range from the archive fills it", gone, tp, offset, starts.get(tp) - 1);
            read.put(tp, starts.get(tp));
        });
    }

    /**
     * The records the target lacks (each partition's end offset, read now, past the offset the target holds everything
     * before), and how long ago the oldest of them arrived: the oldest read and not yet acknowledged, else (records not
     * read yet) the receipt of the newest one the target holds.
     */
    private void lag(KafkaConsumer<byte[], byte[]> kafka) {
        advance();
        long records = 0;
        Set<TopicPartition> assigned = kafka.assignment();
        metrics.partitions.set(assigned.size());
        if (!assigned.isEmpty()) {
            try {
                for (Map.Entry<TopicPartition, Long> end : kafka.endOffsets(assigned, settings.kafka().timeout()).entrySet()) {
                    records += Math.max(0, end.getValue() - acked.getOrDefault(end.getKey(), end.getValue()));
                }
            } catch (org.apache.kafka.common.KafkaException e) {
                log.debug("reading the end offsets for the lag: {}", e.toString());
                return;
            }
        }
        long now = System.currentTimeMillis();
        long oldest = Long.MAX_VALUE;
        for (Lane lane : lanes) {
            oldest = Math.min(oldest, lane.oldestPendingReceiptMs);
            for (Dispatch d : lane.inFlight) {
                if (!d.acked) {
                    oldest = Math.min(oldest, d.oldestReceiptMs);
                }
            }
        }
        if (records == 0) {
            lastCaughtUpMs = now;
        }
        metrics.lagRecords.set(records);
        long newestAcked = metrics.newestAckedReceiptMs.get();
        metrics.lagMs.set(records == 0 ? 0
                : Math.max(0, now - (oldest != Long.MAX_VALUE ? oldest : newestAcked > 0 ? newestAcked : lastCaughtUpMs)));
    }

    /**
     * Cancels every batch the target has not acknowledged and drops the points not handed over; the partitions kept go back
     * to the offset the target holds everything before (a write under way when this happens may still land: its points are
     * then written again, the same versions).
     */
    private void cancelUnacknowledged(KafkaConsumer<byte[], byte[]> kafka, Collection<TopicPartition> leaving) {
        advance();
        boolean cancelled = false;
        for (Lane lane : lanes) {
            for (Dispatch d : lane.inFlight) {
                if (d.cancel()) {
                    metrics.buffered.addAndGet(-d.points);
                    cancelled = true;
                }
            }
            lane.inFlight.clear();
            if (lane.pendingPoints > 0) {
                metrics.buffered.addAndGet(-lane.pendingPoints);
                lane.clearPending();
                cancelled = true;
            }
        }
        if (!cancelled) {
            return;
        }
        awaitNoWriteUnderWay(System.nanoTime() + settings.writeTimeout().toNanos());
        for (TopicPartition tp : kafka.assignment()) {
            Long offset = acked.get(tp);
            if (!leaving.contains(tp) && offset != null && offset < read.getOrDefault(tp, offset)) {
                kafka.seek(tp, offset);
                read.put(tp, offset);
            }
        }
    }

    /** The partitions given to this follower by its group: those the group has no offset for start at their beginning. */
    private final class Rebalance implements ConsumerRebalanceListener {
        private final KafkaConsumer<byte[], byte[]> kafka;

        Rebalance(KafkaConsumer<byte[], byte[]> kafka) {
            this.kafka = kafka;
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            Map<TopicPartition, OffsetAndMetadata> offsets = kafka.committed(new HashSet<>(partitions), settings.kafka().timeout());
            for (TopicPartition tp : partitions) {
                OffsetAndMetadata offset = offsets.get(tp);
                if (offset == null) {
                    log.info("The group '{}' has no offset in {} (a partition added since it started): following it from its start",
                            settings.group(), tp);
                    kafka.seekToBeginning(List.of(tp));
                } else {
                    committed.put(tp, offset.offset());
                }
                long position = kafka.position(tp, settings.kafka().timeout());
                read.put(tp, position);
                acked.put(tp, position);
            }
            if (paused) {
                kafka.pause(partitions);
            }
        }

        /**
         * Before another follower of the group takes them: what was read of them is written and committed. Batches the target
         * has still not taken after the grace are cancelled, so that none lands after the next owner's newer versions; the
         * partitions this follower keeps go back to what the target holds, and are read again from there.
         */
        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            if (partitions.isEmpty()) {
                return;
            }
            if (!stopping) { // a stop has already waited for its batches
                dispatch(true);
                try {
                    awaitInFlight(System.nanoTime() + settings.stopGrace().toNanos(), true);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            commit(kafka, true, partitions);
            cancelUnacknowledged(kafka, partitions);
            forget(partitions);
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> partitions) {
            cancelUnacknowledged(kafka, partitions);
            forget(partitions);
        }

        private void forget(Collection<TopicPartition> partitions) {
            partitions.forEach(tp -> {
                read.remove(tp);
                acked.remove(tp);
                committed.remove(tp);
            });
        }
    }

    /** Batches handed to a lane's sender, with the offsets the target holds everything before once they are written. */
    private static final class Dispatch {
        static final Dispatch END = new Dispatch(List.of(), Map.of(), new long[0], 0, Long.MAX_VALUE, 0);
        final List<Batch> batches;
        final Map<TopicPartition, Long> offsets;
        final long[] receiptsMs;
        final int points;
        final long oldestReceiptMs;
        final long newestReceiptMs;
        /** 0 handed over, 1 acknowledged, 2 cancelled: set once. */
        private final java.util.concurrent.atomic.AtomicInteger state = new java.util.concurrent.atomic.AtomicInteger();
        volatile boolean acked;

        /** The target holds every batch: false when it was cancelled meanwhile. */
        boolean acknowledge() {
            boolean done = state.compareAndSet(0, 1);
            acked = done;
            return done;
        }

        /** Cancelled before the target held it: false when it was acknowledged. */
        boolean cancel() {
            return state.compareAndSet(0, 2);
        }

        boolean cancelled() {
            return state.get() == 2;
        }

        Dispatch(List<Batch> batches, Map<TopicPartition, Long> offsets, long[] receiptsMs, int points, long oldestReceiptMs,
                long newestReceiptMs) {
            this.batches = batches;
            this.offsets = offsets;
            this.receiptsMs = receiptsMs;
            this.points = points;
            this.oldestReceiptMs = oldestReceiptMs;
            this.newestReceiptMs = newestReceiptMs;
        }
    }

    /** The partitions {@code p % lanes == index}: their points read and not yet handed over, and one sender writing them in order. */
    private final class Lane {
        final int index;
        final Deque<Dispatch> inFlight = new ArrayDeque<>();
        final BlockingQueue<Dispatch> queue = new LinkedBlockingQueue<>();
        final Thread sender;
        Map<SeriesId, SeriesPoints> pending = new LinkedHashMap<>();
        int pendingPoints;
        long pendingSinceNanos;
        long oldestPendingReceiptMs = Long.MAX_VALUE;
        long newestPendingReceiptMs;
        boolean failing;
        /** Inside a write to the target. */
        volatile boolean writing;

        Lane(int index) {
            this.index = index;
            this.sender = new Thread(this::send, "rewind-follow-sender-" + index);
            this.sender.setDaemon(true);
        }

        /** The pending points as batches, the last version of each (series, timestamp) only, handed to the sender. */
        void dispatch() {
            List<OutputSeries> series = new ArrayList<>();
            int kept = 0;
            for (SeriesPoints points : pending.values()) {
                OutputSeries out = OutputSeries.of(lastVersions(points.sorted()), settings.transforms());
                series.add(out);
                kept += out.size();
            }
            series.sort(Comparator.comparing(OutputSeries::kind)); // one batch per kind, not one per change of kind
            List<Batch> batches = new ArrayList<>();
            long[] receipts = new long[kept];
            int r = 0;
            try {
                Batches.Builder builder = Batches.builder("follow", settings.batchSize(), (batch, written) -> batches.add(batch));
                for (OutputSeries out : series) {
                    builder.add(out);
                    for (int i = 0; i < out.size(); i++) {
                        receipts[r++] = out.points().ingestTimeMs(i);
                    }
                }
                builder.finish();
            } catch (java.io.IOException | InterruptedException e) {
                throw new IllegalStateException("a batch builder that only collects cannot fail", e);
            }
            Map<TopicPartition, Long> offsets = new HashMap<>();
            read.forEach((tp, offset) -> {
                if (tp.partition() % lanes.length == index) {
                    offsets.put(tp, offset);
                }
            });
            metrics.buffered.addAndGet(kept - pendingPoints); // versions a later one replaced in this batch are done with
            Dispatch d = new Dispatch(batches, offsets, receipts, kept, oldestPendingReceiptMs, newestPendingReceiptMs);
            inFlight.addLast(d);
            queue.add(d);
            clearPending();
        }

        void clearPending() {
            pending = new LinkedHashMap<>();
            pendingPoints = 0;
            oldestPendingReceiptMs = Long.MAX_VALUE;
            newestPendingReceiptMs = 0;
        }

        /** The sender: each batch written until the target takes it, in order. */
        private void send() {
            try {
                while (true) {
                    Dispatch d = queue.take();
                    if (d == Dispatch.END) {
                        return;
                    }
                    long written = 0;
                    long refusedPoints = 0;
                    for (Batch batch : d.batches) {
                        if (d.cancelled()) {
                            break;
                        }
                        int refused = writeUntilTaken(batch, d, this);
                        written += batch.points() - refused;
                        refusedPoints += refused;
                    }
                    if (d.acknowledge()) {
                        metrics.pointsWritten.increment(written);
                        metrics.pointsRejected.increment(refusedPoints);
                        long now = System.currentTimeMillis();
                        for (long receipt : d.receiptsMs) {
                            metrics.delivery.record(Math.max(0, now - receipt), TimeUnit.MILLISECONDS);
                        }
                        metrics.lastAckMs.set(now);
                        metrics.newestAckedReceiptMs.accumulateAndGet(d.newestReceiptMs, Math::max);
                        metrics.buffered.addAndGet(-d.points);
                    }
                    synchronized (ackSignal) {
                        ackSignal.notifyAll();
                    }
                }
            } catch (InterruptedException stopped) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Writes a batch until the target takes it; only a stop past its grace, or the batch's cancellation (its partitions went
     * to another follower), ends the attempts. Returns the points refused (0 for a cancelled batch: nothing was written).
     */
    private int writeUntilTaken(Batch batch, Dispatch d, Lane lane) throws InterruptedException {
        Backoff backoff = new Backoff(settings.backoffMin(), settings.backoffMax());
        long downSince = 0;
        while (true) {
            try {
                int refused;
                lane.writing = true; // before the check: a revocation that cancels it after the check waits for this write
                try {
                    if (d.cancelled()) {
                        return 0;
                    }
                    refused = target.write(batch);
                } finally {
                    lane.writing = false;
                    synchronized (ackSignal) {
                        ackSignal.notifyAll();
                    }
                }
                if (downSince != 0) {
                    log.warn("The target takes batches again after {} s", (System.nanoTime() - downSince) / 1_000_000_000);
                }
                setFailing(lane, false);
                return refused;
            } catch (InterruptedException e) {
                throw e;
            } catch (Exception e) {
                if (abandoned) {
                    throw new InterruptedException("stopped while the target refused a batch");
                }
                metrics.retries.incrementAndGet();
                setFailing(lane, true);
                metrics.lastError.set(String.valueOf(e.getMessage()));
                if (downSince == 0) {
                    downSince = System.nanoTime();
                    log.warn("The target did not take a batch of {} points; retrying until it does (nothing is dropped): {}",
                            batch.points(), e.getMessage());
                }
                backoff.pause();
                if (d.cancelled()) {
                    setFailing(lane, false); // its partitions went elsewhere: this lane has nothing failing now
                    return 0;
                }
            }
        }
    }

    /** The target is up while no lane's batch is being retried. */
    private void setFailing(Lane lane, boolean failing) {
        synchronized (lanes) {
            lane.failing = failing;
            boolean any = false;
            for (Lane l : lanes) {
                any |= l.failing;
            }
            metrics.targetUp.set(any ? 0 : 1);
        }
    }

    /** The last version of each timestamp of a sorted series: the one received last, as the archive's as-of rule keeps. */
    static SeriesPoints lastVersions(SeriesPoints sorted) {
        int n = sorted.size();
        boolean unique = true;
        for (int i = 1; i < n && unique; i++) {
            unique = sorted.timestampMs(i) != sorted.timestampMs(i - 1);
        }
        if (unique) {
            return sorted;
        }
        SeriesPoints out = new SeriesPoints(sorted.id(), n);
        for (int i = 0; i < n; i++) {
            if (i == n - 1 || sorted.timestampMs(i + 1) != sorted.timestampMs(i)) {
                out.addFrom(sorted, i);
            }
        }
        return out;
    }
}
