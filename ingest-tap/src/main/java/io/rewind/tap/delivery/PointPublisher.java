package io.rewind.tap.delivery;

import io.rewind.service.RateLimitedLog;
import io.rewind.tap.metrics.TapMetrics;
import io.rewind.tap.record.PointRecord;
import io.rewind.tap.spool.Spool;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gets every accepted point into Kafka, or into the spool until Kafka takes it (guarantee 1).
 *
 * <p>Its idempotent producers live as long as the tap and never give up on a record they were handed
 * ({@code delivery.timeout.ms} is unbounded): a record in a producer reaches Kafka exactly once,
 * however long Kafka is away. So that Kafka being away costs no memory beyond a bound, at most
 * {@code delivery.window.max.bytes} are in the producers at once; past that, and whenever the spool
 * holds anything (so order is kept), points are appended to the spool instead. The {@link SpoolDrainer}
 * sends the spool to Kafka in order and switches back to direct sends once it has caught up.
 * With {@code durability=wal} every point goes through the spool.
 *
 * <p>Telnet points go through one {@link KafkaLane}; points a client waits for (HTTP puts) through a
 * second, with group commit.
 *
 * <p>{@link #publish} returns a future that completes when every record is acknowledged by Kafka
 * ({@code acks=all}) or fsync'ed in the spool (or, for a record Kafka refuses for good, in the
 * {@link DeadLetters}). When the spool is full: {@code block} keeps the
 * records waiting (and {@link #blocked()} tells the protocol handlers to stop reading) until the
 * drainer frees room; {@code pass-through} counts them as missed by the backup, logs it and records their metrics and hours
 * in the {@link GapRecorder}, as it does for points left waiting when the tap stops and points Kafka refuses for good.
 */
public final class PointPublisher implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PointPublisher.class);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);

    /** Telnet points and the spool drain. */
    private final KafkaLane batching;
    /** Points a client waits for (HTTP puts), with group commit. */
    private final KafkaLane awaited;
    private final KafkaLink link;
    private final Spool spool;
    private final long windowBytes;
    private final DeliverySettings.FullPolicy fullPolicy;
    private final boolean wal;
    private final TapMetrics metrics;
    private final SpoolDrainer drainer;
    private final DeadLetters deadLetters;
    private final GapRecorder gaps;
    private final Duration stopTimeout;
    private final ArrayDeque<Waiting> waiting = new ArrayDeque<>();
    private final RateLimitedLog missedLog = new RateLimitedLog(LOG, Duration.ofSeconds(10));
    private final RateLimitedLog kafkaLog = new RateLimitedLog(LOG, Duration.ofSeconds(10));

    private long inProducerBytes;
    /** True while points must go to the spool to keep their order behind what it holds. */
    private boolean spooling;
    private volatile boolean running = true;

    private record Waiting(List<PointRecord> records, CompletableFuture<Void> done) {
    }

    PointPublisher(Producer<byte[], byte[]> producer, Producer<byte[], byte[]> awaitedProducer, DeliverySettings settings, Spool spool,
            GapRecorder gaps, TapMetrics metrics, Duration stopTimeout) {
        this.batching = new KafkaLane(producer, "rewind-kafka-sender", false);
        this.awaited = new KafkaLane(awaitedProducer, "rewind-kafka-awaited-sender", true);
        this.link = new KafkaLink(settings.topic(), List.of(producer, awaitedProducer));
        this.spool = spool;
        this.windowBytes = settings.windowBytes();
        this.fullPolicy = settings.fullPolicy();
        this.wal = settings.wal();
        this.metrics = metrics;
        this.stopTimeout = stopTimeout;
        this.spooling = wal || !spool.isEmpty();
        this.gaps = gaps;
        metrics.spoolPending(spool::pendingBytes);
        metrics.spoolCapacity(spool.maxBytes(), spool::pendingBytes);
        this.deadLetters = DeadLetters.open(spool.dir(), metrics, gaps);
        this.drainer = new SpoolDrainer(spool, batching, link, deadLetters, metrics, new SpoolDrainer.Backlog() {
            @Override
            public void roomFreed() {
                synchronized (PointPublisher.this) {
                    moveWaitingIntoSpool();
                }
            }

            @Override
            public void awaitWork() throws InterruptedException {
                synchronized (PointPublisher.this) {
                    if (!moveWaitingIntoSpool() && spool.isEmpty()) {
                        spooling = wal;
                        PointPublisher.this.wait(1_000);
                    }
                }
            }
        });
        this.drainer.start();
        gaps.publishTo(producer, settings.gapsTopic(), link::ready);
    }

    /**
     * The publisher a tap runs with: its two producers, window, spool-full policy and durability from the settings; what it lets
     * through without backup goes to {@code gaps}, which it publishes and closes.
     */
    public static PointPublisher of(DeliverySettings settings, Spool spool, GapRecorder gaps, TapMetrics metrics) {
        KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(settings.producer());
        try {
            PointPublisher publisher = new PointPublisher(producer, new KafkaProducer<>(settings.awaitedProducer()), settings, spool, gaps,
                    metrics, STOP_TIMEOUT);
            publisher.link.askWith(settings.producer());
            return publisher;
        } catch (RuntimeException e) {
            producer.close(Duration.ZERO);
            throw e;
        }
    }

    /** Asks Kafka whether the topic exists, so that a missing one is said at once (and by {@link #kafkaProblem}). */
    public void checkTopic() {
        link.diagnose();
    }

    /** Why points wait in the spool instead of going to Kafka (the topic does not exist, Kafka cannot be reached); null while they go to Kafka. */
    public String kafkaProblem() {
        return link.problem();
    }

    /** Whether Kafka said the points topic does not exist. */
    public boolean topicMissing() {
        return link.topicMissing();
    }

    /** Completes when every record is in Kafka or in the spool (or, with pass-through, counted as missed). */
    public CompletableFuture<Void> publish(List<PointRecord> records) {
        return publish(records, batching);
    }

    /**
     * As {@link #publish(List)}, for points whose client waits for the future (HTTP puts): they go to
     * Kafka through the producer that is flushed by group commit.
     */
    public CompletableFuture<Void> publishAwaited(List<PointRecord> records) {
        return publish(records, awaited);
    }

    private CompletableFuture<Void> publish(List<PointRecord> records, KafkaLane via) {
        if (records.isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        int bytes = 0;
        for (PointRecord record : records) {
            bytes += record.size();
        }
        synchronized (this) {
            if (!spooling && link.ready() && inProducerBytes + bytes <= windowBytes) {
                inProducerBytes += bytes;
                return send(records, bytes, via);
            }
            spooling = true;
            if (!waiting.isEmpty()) {
                return hold(records);
            }
            CompletableFuture<Void> spooled = spoolAppend(records);
            if (spooled != null) {
                notifyAll();
                return spooled;
            }
            if (fullPolicy == DeliverySettings.FullPolicy.PASS_THROUGH) {
                missed(records);
                return CompletableFuture.completedFuture(null);
            }
            return hold(records);
        }
    }

    private CompletableFuture<Void> hold(List<PointRecord> records) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        waiting.add(new Waiting(records, done));
        metrics.blocked(records.size());
        return done;
    }

    /** True while the spool is full and points wait for room: protocol handlers stop reading from clients. */
    public synchronized boolean blocked() {
        return !waiting.isEmpty();
    }

    private CompletableFuture<Void> send(List<PointRecord> records, int bytes, KafkaLane via) {
        long start = System.nanoTime();
        Acks acks = new Acks(records.size(), () -> {
            synchronized (this) {
                inProducerBytes -= bytes;
            }
            metrics.publishLatency(System.nanoTime() - start);
        });
        via.execute(() -> {
            for (PointRecord record : records) {
                if (!link.ready() || !running) {
                    // Kafka went away after these were queued, or the tap is stopping: they go to the spool, in order, without
                    // waiting on the producer.
                    acks.after(respool(record));
                    continue;
                }
                try {
                    via.producer().send(link.record(record), (metadata, error) -> {
                        if (error == null) {
                            metrics.published(1);
                            acks.done();
                        } else if (KafkaErrors.refusesRecord(error)) {
                            // Kafka will never take this record (too large for it): kept aside, counted; Kafka stays in use.
                            acks.after(deadLetters.add(record, error));
                        } else {
                            // The record is not in Kafka: no metadata within max.block.ms, or a broker error (delivery.timeout.ms
                            // is unbounded). The spool keeps it; the drainer sends it once Kafka answers again.
                            link.lost();
                            metrics.kafkaError(error);
                            kafkaLog.warn("Kafka did not take a point ({}); it goes to the spool and is sent from there", error.toString());
                            acks.after(respool(record));
                        }
                    });
                } catch (RuntimeException e) {
                    // The producer is closing (shutdown): the spool keeps the record for the next tap.
                    acks.after(respool(record));
                }
            }
            if (link.ready() && running) {
                via.flushIfIdle();
            }
        });
        return acks.future();
    }

    /**
     * Puts a record whose send did not happen or failed into the spool; the future completes once it is fsync'ed there.
     * With the spool full it waits for room like a new point ({@code block}), or is counted as missed ({@code pass-through}).
     */
    private CompletableFuture<Void> respool(PointRecord record) {
        synchronized (this) {
            spooling = true;
            notifyAll();
            CompletableFuture<Void> spooled = spoolAppend(List.of(record));
            if (spooled != null) {
                return spooled;
            }
            if (fullPolicy == DeliverySettings.FullPolicy.PASS_THROUGH) {
                missed(List.of(record));
                return CompletableFuture.completedFuture(null);
            }
            // It was sent before every point waiting now: first in line.
            CompletableFuture<Void> done = new CompletableFuture<>();
            waiting.addFirst(new Waiting(List.of(record), done));
            metrics.blocked(1);
            return done;
        }
    }

    /**
     * Appends to the spool, counting the points spooled; null when it is full. With {@code pass-through}, an append or an fsync that fails (a disk full or
     * failing) lets the points through like a full spool: counted, logged and recorded as a gap, never an error that would
     * close the client's connection or fail its request after the TSD took the points.
     */
    private CompletableFuture<Void> spoolAppend(List<PointRecord> records) {
        CompletableFuture<Void> spooled;
        try {
            spooled = spool.append(records);
        } catch (UncheckedIOException e) {
            if (fullPolicy != DeliverySettings.FullPolicy.PASS_THROUGH) {
                throw e;
            }
            spoolFailed(records, e);
            return CompletableFuture.completedFuture(null);
        }
        if (spooled != null) {
            metrics.spooled(records.size());
        }
        if (spooled == null || fullPolicy != DeliverySettings.FullPolicy.PASS_THROUGH) {
            return spooled;
        }
        return spooled.exceptionally(error -> {
            spoolFailed(records, error);
            return null;
        });
    }

    private void spoolFailed(List<PointRecord> records, Throwable error) {
        metrics.missed(records.size());
        gaps.missed(records, "spool-failed");
        missedLog.error("The spool in {} failed ({}): {} points were NOT backed up (spool.full.policy=pass-through); they still went to"
                + " OpenTSDB, and their metrics and hours are recorded as gaps for rewind heal.", spool.dir(), error.toString(), records.size());
    }

    private void missed(List<PointRecord> records) {
        metrics.missed(records.size());
        gaps.missed(records, "spool-full");
        missedLog.warn("The spool is full ({} bytes, spool.max.bytes) and Kafka is not taking points: {} points were NOT backed up "
                + "(spool.full.policy=pass-through); they still went to OpenTSDB, and their metrics and hours are recorded as gaps"
                + " for rewind heal. See rewind_tap_points_missed_total and rewind_tap_gaps_open.", spool.pendingBytes(), records.size());
    }

    /** Moves points that waited for room into the spool, in order, as far as it has room; true when any moved. */
    private boolean moveWaitingIntoSpool() {
        boolean moved = false;
        while (!waiting.isEmpty()) {
            Waiting next = waiting.peek();
            CompletableFuture<Void> spooled = spool.append(next.records());
            if (spooled == null) {
                break;
            }
            waiting.poll();
            metrics.spooled(next.records().size());
            spooled.whenComplete((ok, error) -> {
                if (error != null) {
                    next.done().completeExceptionally(error);
                } else {
                    next.done().complete(null);
                }
            });
            moved = true;
        }
        return moved;
    }

    /** True while points go straight to Kafka, not through the spool (for tests). */
    synchronized boolean sendsDirectly() {
        return !spooling && link.ready();
    }

    public Spool spool() {
        return spool;
    }

    /** Where points let through without backup are recorded. */
    public GapRecorder gaps() {
        return gaps;
    }

    /**
     * Stops draining, lets each sending thread finish (up to 30 s each), then closes the producers, waiting up to
     * 30 s for Kafka to take what each holds; what a producer still holds after that (Kafka away) is put back into
     * the spool, which closes last, so the next tap on this spool sends it. With Kafka away the steps wait one after
     * the other: up to about two minutes in all.
     */
    @Override
    public void close() {
        running = false;
        synchronized (this) {
            notifyAll();
        }
        gaps.stopPublishing();
        try {
            drainer.stop();
            // Sends that never started (queued behind a flush waiting for a Kafka that is away, which is interrupted) run
            // here: with running false they put their points into the spool.
            batching.stop(stopTimeout).forEach(Runnable::run);
            awaited.stop(stopTimeout).forEach(Runnable::run);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        awaited.closeProducer(stopTimeout);
        batching.closeProducer(stopTimeout);
        link.close();
        synchronized (this) {
            // Points still waiting for room in a full spool, Kafka away: nowhere left to keep them. Said, counted, and their
            // HTTP clients (if still there) get an error rather than the TSD's answer.
            int left = 0;
            for (Waiting next : waiting) {
                left += next.records().size();
                gaps.missed(next.records(), "stopped");
                next.done().completeExceptionally(new IllegalStateException("the tap stopped with the spool full and Kafka away"));
            }
            if (left > 0) {
                metrics.missed(left);
                LOG.error("The tap stopped with {} points waiting for room in the full spool while Kafka was away: they are NOT backed up;"
                        + " their metrics and hours are recorded as gaps for rewind heal. See rewind_tap_points_missed_total.", left);
            }
            waiting.clear();
        }
        try {
            spool.close();
            deadLetters.close();
            gaps.close();
        } catch (Exception e) {
            LOG.warn("Closing the spool failed: {}", e.toString());
        }
    }
}
