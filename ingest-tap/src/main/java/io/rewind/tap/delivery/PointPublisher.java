package io.rewind.tap.delivery;

import io.rewind.tap.TapConfig;
import io.rewind.tap.TapMetrics;
import io.rewind.tap.spool.Spool;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gets every accepted point into Kafka, or into the spool until Kafka takes it (guarantee 1).
 *
 * <p>Its idempotent producers live as long as the tap and never give up on a record they were handed
 * ({@code delivery.timeout.ms} is unbounded): a record in a producer reaches Kafka exactly once,
 * however long Kafka is away. So that Kafka being away costs no memory beyond a bound, at most
 * {@code delivery.window.max.bytes} are in the producers at once; past that, and whenever the spool
 * holds anything (so order is kept), points are appended to the spool instead. The drainer thread
 * sends the spool to Kafka in order and switches back to direct sends once it has caught up.
 * With {@code durability=wal} every point goes through the spool.
 *
 * <p>Points a client waits for (HTTP puts) go through a second producer, from a thread of their own,
 * with group commit: the thread hands the producer every request queued, then flushes, and while a
 * flush waits for Kafka the next requests queue up for the one after. A lone request is sent at once;
 * under load one produce request carries many requests' points, not a few points each.
 *
 * <p>{@link #publish} returns a future that completes when every record is acknowledged by Kafka
 * ({@code acks=all}) or fsync'ed in the spool. When the spool is full: {@code block} keeps the
 * records waiting (and {@link #blocked()} tells the protocol handlers to stop reading) until the
 * drainer frees room; {@code pass-through} counts them as missed by the backup and logs it.
 */
public final class PointPublisher implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PointPublisher.class);
    private static final int DRAIN_BATCH = 20_000;

    /** What to do when the spool is full. */
    public enum FullPolicy {
        BLOCK, PASS_THROUGH
    }

    /**
     * Telnet points and the spool drain. Its thread is the one that calls the producer: a send may block on metadata, which
     * must never stall a client's event loop; one thread keeps the order.
     */
    private final Lane batching;
    /** Points a client waits for (HTTP puts): its thread flushes the producer as soon as the requests queued are in it (group commit). */
    private final Lane awaited;
    private final String topic;
    private final Spool spool;
    private final long windowBytes;
    private final FullPolicy fullPolicy;
    private final boolean wal;
    private final TapMetrics metrics;
    private final Thread drainer;
    private final ArrayDeque<Waiting> waiting = new ArrayDeque<>();
    private final RateLimitedLog missedLog = new RateLimitedLog(LOG, Duration.ofSeconds(10));
    private final RateLimitedLog kafkaLog = new RateLimitedLog(LOG, Duration.ofSeconds(10));

    private long inProducerBytes;
    /** True while points must go to the spool to keep their order behind what it holds. */
    private boolean spooling;
    private volatile boolean running = true;
    private volatile boolean kafkaReady;

    private record Waiting(List<PointRecord> records, CompletableFuture<Void> done) {
    }

    /** A producer and the one thread that hands it points, in order; with group commit that thread flushes it whenever its queue runs empty. */
    private record Lane(Producer<byte[], byte[]> producer, ThreadPoolExecutor sender, boolean groupCommit) {
        Lane(Producer<byte[], byte[]> producer, String thread, boolean groupCommit) {
            this(producer, new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(), r -> {
                Thread t = new Thread(r, thread);
                t.setDaemon(true);
                return t;
            }), groupCommit);
        }
    }

    private PointPublisher(Producer<byte[], byte[]> producer, Producer<byte[], byte[]> awaitedProducer, String topic, Spool spool, long windowBytes, FullPolicy fullPolicy,
            boolean wal, TapMetrics metrics) {
        this.batching = new Lane(producer, "rewind-kafka-sender", false);
        this.awaited = new Lane(awaitedProducer, "rewind-kafka-awaited-sender", true);
        this.topic = topic;
        this.spool = spool;
        this.windowBytes = windowBytes;
        this.fullPolicy = fullPolicy;
        this.wal = wal;
        this.metrics = metrics;
        this.spooling = wal || !spool.isEmpty();
        metrics.spoolPending(spool::pendingBytes);
        this.drainer = new Thread(this::drainLoop, "rewind-spool-drainer");
        this.drainer.setDaemon(true);
        this.drainer.start();
    }

    /** The publisher a tap runs with: its two producers, window, spool-full policy and durability from the configuration. */
    public static PointPublisher of(TapConfig config, Spool spool, TapMetrics metrics) {
        return new PointPublisher(new KafkaProducer<>(config.producerProperties()), new KafkaProducer<>(config.awaitedProducerProperties()),
                config.topic(), spool, config.windowBytes(), config.spoolFullPolicy(), config.durability() == TapConfig.Durability.WAL, metrics);
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

    private CompletableFuture<Void> publish(List<PointRecord> records, Lane via) {
        if (records.isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        int bytes = 0;
        for (PointRecord record : records) {
            bytes += record.size();
        }
        synchronized (this) {
            if (!spooling && kafkaReady && inProducerBytes + bytes <= windowBytes) {
                inProducerBytes += bytes;
                return send(records, bytes, via);
            }
            spooling = true;
            if (!waiting.isEmpty()) {
                return hold(records);
            }
            CompletableFuture<Void> spooled = spool.append(records);
            if (spooled != null) {
                metrics.spooled(records.size());
                notifyAll();
                return spooled;
            }
            if (fullPolicy == FullPolicy.PASS_THROUGH) {
                metrics.missed(records.size());
                missedLog.warn("The spool is full ({} bytes, spool.max.bytes) and Kafka is not taking points: {} points were NOT backed up "
                        + "(spool.full.policy=pass-through); they still went to OpenTSDB. See rewind_tap_points_missed_total.",
                        spool.pendingBytes(), records.size());
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

    private CompletableFuture<Void> send(List<PointRecord> records, int bytes, Lane via) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        AtomicInteger left = new AtomicInteger(records.size());
        long start = System.nanoTime();
        Runnable oneDone = () -> {
            if (left.decrementAndGet() == 0) {
                synchronized (this) {
                    inProducerBytes -= bytes;
                }
                metrics.publishLatency(System.nanoTime() - start);
                done.complete(null);
            }
        };
        via.sender().execute(() -> {
            for (PointRecord record : records) {
                if (!kafkaReady) {
                    // Kafka went away after these were queued: they go to the spool, in order, without waiting on the producer.
                    respool(record);
                    oneDone.run();
                    continue;
                }
                try {
                    via.producer().send(kafkaRecord(record), (metadata, error) -> {
                        if (error != null) {
                            // The record is not in Kafka: a non-retriable error, or no metadata within max.block.ms (delivery.timeout.ms
                            // is unbounded). The spool keeps it; the drainer sends it once Kafka answers again.
                            kafkaReady = false;
                            metrics.kafkaError(error);
                            kafkaLog.warn("Kafka did not take a point ({}); it goes to the spool and is sent from there", error.toString());
                            respool(record);
                        } else {
                            metrics.published(1);
                        }
                        oneDone.run();
                    });
                } catch (RuntimeException e) {
                    // The producer is closing (shutdown): the spool keeps the record for the next tap.
                    respool(record);
                    oneDone.run();
                }
            }
            if (via.groupCommit() && via.sender().getQueue().isEmpty() && kafkaReady && running) {
                // Group commit: every request queued is in the producer; send them now, and queue the next ones meanwhile.
                try {
                    via.producer().flush();
                } catch (RuntimeException e) {
                    // Interrupted by close while Kafka is away: the producer's close puts what it holds back into the spool.
                }
            }
        });
        return done;
    }

    private ProducerRecord<byte[], byte[]> kafkaRecord(PointRecord record) {
        return new ProducerRecord<>(topic, null, record.receivedMs(), record.key(), record.value());
    }

    private void respool(PointRecord record) {
        synchronized (this) {
            spooling = true;
            if (spool.append(List.of(record)) == null) {
                waiting.addFirst(new Waiting(List.of(record), new CompletableFuture<>()));
            }
            notifyAll();
        }
    }

    private void drainLoop() {
        Duration backoff = Duration.ofMillis(100);
        while (running) {
            try {
                if (!kafkaReady) {
                    batching.producer().partitionsFor(topic);
                    awaited.producer().partitionsFor(topic);
                    kafkaReady = true;
                    LOG.info("Kafka has the topic '{}': points go to it", topic);
                }
                Spool.Batch batch = spool.read(DRAIN_BATCH);
                if (batch.records().isEmpty()) {
                    synchronized (this) {
                        if (!moveWaitingIntoSpool() && spool.isEmpty()) {
                            spooling = wal;
                            wait(1_000);
                        }
                    }
                    continue;
                }
                List<CompletableFuture<Void>> acks = new ArrayList<>(batch.records().size());
                for (int i = 0; i < batch.records().size(); i++) {
                    acks.add(new CompletableFuture<Void>());
                }
                batching.sender().execute(() -> {
                    for (int i = 0; i < batch.records().size(); i++) {
                        PointRecord record = batch.records().get(i);
                        CompletableFuture<Void> ack = acks.get(i);
                        if (!kafkaReady || !running) {
                            // Kafka went away: the rest of this batch stays in the spool for the next round.
                            ack.completeExceptionally(new org.apache.kafka.common.errors.TimeoutException("Kafka is not reachable"));
                            continue;
                        }
                        try {
                            batching.producer().send(kafkaRecord(record), (metadata, error) -> {
                            if (error != null) {
                                kafkaReady = false;
                                ack.completeExceptionally(error);
                            } else {
                                ack.complete(null);
                            }
                        });
                        } catch (RuntimeException e) {
                            ack.completeExceptionally(e);
                        }
                    }
                });
                CompletableFuture<Void> all = CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new));
                while (running) {
                    try {
                        all.get(1, TimeUnit.SECONDS);
                        break;
                    } catch (TimeoutException e) {
                        // Kafka is away: the producer keeps retrying; keep waiting
                    }
                }
                if (!running) {
                    return;
                }
                spool.commit(batch.end());
                metrics.published(batch.records().size());
                metrics.drained(batch.records().size());
                backoff = Duration.ofMillis(100);
                synchronized (this) {
                    moveWaitingIntoSpool();
                }
            } catch (InterruptedException e) {
                return;
            } catch (ExecutionException | RuntimeException e) {
                Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
                kafkaReady = false;
                metrics.kafkaError(cause);
                kafkaLog.warn("Cannot drain the spool to Kafka yet ({}); retrying in {} ms", cause.toString(), backoff.toMillis());
                try {
                    Thread.sleep(backoff.toMillis());
                } catch (InterruptedException interrupted) {
                    return;
                }
                backoff = backoff.multipliedBy(2).compareTo(Duration.ofSeconds(10)) > 0 ? Duration.ofSeconds(10) : backoff.multipliedBy(2);
            }
        }
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

    public Spool spool() {
        return spool;
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
        drainer.interrupt();
        try {
            drainer.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        batching.sender().shutdown();
        awaited.sender().shutdown();
        try {
            batching.sender().awaitTermination(30, TimeUnit.SECONDS);
            if (!awaited.sender().awaitTermination(30, TimeUnit.SECONDS)) {
                awaited.sender().shutdownNow(); // a flush waiting for a Kafka that is away
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        awaited.producer().close(Duration.ofSeconds(30));
        batching.producer().close(Duration.ofSeconds(30));
        synchronized (this) {
            // Points still waiting for room in a full spool, Kafka away: nowhere left to keep them. Said, counted, and their
            // HTTP clients (if still there) get an error rather than the TSD's answer.
            int left = 0;
            for (Waiting next : waiting) {
                left += next.records().size();
                next.done().completeExceptionally(new IllegalStateException("the tap stopped with the spool full and Kafka away"));
            }
            if (left > 0) {
                metrics.missed(left);
                LOG.error("The tap stopped with {} points waiting for room in the full spool while Kafka was away: they are NOT backed up. "
                        + "See rewind_tap_points_missed_total.", left);
            }
            waiting.clear();
        }
        try {
            spool.close();
        } catch (Exception e) {
            LOG.warn("Closing the spool failed: {}", e.toString());
        }
    }
}
