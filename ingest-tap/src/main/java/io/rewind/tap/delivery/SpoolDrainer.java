package io.rewind.tap.delivery;

import io.rewind.service.RateLimitedLog;
import io.rewind.tap.metrics.TapMetrics;
import io.rewind.tap.record.PointRecord;
import io.rewind.tap.spool.Spool;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends the spool to Kafka in order, one batch at a time through the lane it shares with the telnet points,
 * and saves the spool's position once Kafka has acknowledged the whole batch; a record Kafka refuses for good
 * goes to the {@link DeadLetters} instead of holding up the records behind it. While the spool is empty it
 * asks the publisher to move points that waited for room into it, and to go back to direct sends.
 */
final class SpoolDrainer {
    private static final Logger LOG = LoggerFactory.getLogger(SpoolDrainer.class);
    private static final int DRAIN_BATCH = 20_000;

    /** What the drainer asks of the publisher. */
    interface Backlog {
        /** After a drained batch: moves points that waited for room into the spool. */
        void roomFreed();

        /** The spool is drained: moves waiting points in, or with none, sends directly again and waits for work (up to a second). */
        void awaitWork() throws InterruptedException;
    }

    private final Spool spool;
    private final KafkaLane lane;
    private final KafkaLink link;
    private final DeadLetters deadLetters;
    private final TapMetrics metrics;
    private final Backlog backlog;
    private final Thread thread;
    private final RateLimitedLog kafkaLog = new RateLimitedLog(LOG, Duration.ofSeconds(10));
    private volatile boolean running = true;
    /** What the drainer waits on between tries, so that {@link #stop} can wake it. */
    private final Object pause = new Object();

    SpoolDrainer(Spool spool, KafkaLane lane, KafkaLink link, DeadLetters deadLetters, TapMetrics metrics, Backlog backlog) {
        this.spool = spool;
        this.lane = lane;
        this.link = link;
        this.deadLetters = deadLetters;
        this.metrics = metrics;
        this.backlog = backlog;
        this.thread = new Thread(this::drainLoop, "rewind-spool-drainer");
        this.thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    /**
     * Stops draining: a batch Kafka has not acknowledged yet stays in the spool, for the next tap. The drainer is woken, not
     * interrupted: an interrupt during a write to the spool (moving waiting points into it) would close the spool's file for
     * every later append. Only a drainer still there after 10 s is interrupted.
     */
    void stop() throws InterruptedException {
        running = false;
        synchronized (pause) {
            pause.notifyAll();
        }
        thread.join(10_000);
        if (thread.isAlive()) {
            thread.interrupt();
            thread.join(10_000);
        }
    }

    private void drainLoop() {
        Duration backoff = Duration.ofMillis(100);
        while (running) {
            try {
                link.check();
                Spool.Batch batch = spool.read(DRAIN_BATCH);
                if (batch.records().isEmpty()) {
                    backlog.awaitWork();
                    continue;
                }
                Answers answers = send(batch.records());
                while (running) {
                    try {
                        answers.all.get(1, TimeUnit.SECONDS);
                        break;
                    } catch (TimeoutException e) {
                        // Kafka is away: the producer keeps retrying; keep waiting
                    }
                }
                if (!running) {
                    return;
                }
                int refused = setAsideRefused(batch.records(), answers);
                spool.commit(batch.end());
                metrics.published(batch.records().size() - refused);
                metrics.drained(batch.records().size() - refused);
                backoff = Duration.ofMillis(100);
                backlog.roomFreed();
            } catch (InterruptedException e) {
                return;
            } catch (ExecutionException | RuntimeException e) {
                Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
                link.lost();
                link.diagnose();
                metrics.kafkaError(cause);
                kafkaLog.warn("Cannot drain the spool to Kafka yet ({}); retrying in {} ms", cause.toString(), backoff.toMillis());
                try {
                    synchronized (pause) {
                        if (running) {
                            pause.wait(backoff.toMillis());
                        }
                    }
                } catch (InterruptedException interrupted) {
                    return;
                }
                backoff = backoff.multipliedBy(2).compareTo(Duration.ofSeconds(10)) > 0 ? Duration.ofSeconds(10) : backoff.multipliedBy(2);
            }
        }
    }

    /**
     * Once every record of a batch has Kafka's answer: throws the first error about Kafka (the batch is sent again), or puts
     * the records Kafka refuses for good into the dead letters and returns how many.
     */
    private int setAsideRefused(List<PointRecord> records, Answers answers) throws ExecutionException, InterruptedException {
        List<Integer> refused = new ArrayList<>();
        for (int i = 0; i < records.size(); i++) {
            Throwable error = answers.errors[i];
            if (error != null) {
                if (!KafkaErrors.refusesRecord(error)) {
                    throw new ExecutionException(error);
                }
                refused.add(i);
            }
        }
        for (int i : refused) {
            deadLetters.add(records.get(i), answers.errors[i]).get();
        }
        return refused.size();
    }

    /**
     * Kafka's answers to the records of one batch: an error or none per record, and a future completed by the last answer.
     * The errors are written before the count of answers falls, and read only after the future completes.
     */
    private static final class Answers {
        final Throwable[] errors;
        final CompletableFuture<Void> all = new CompletableFuture<>();
        private final AtomicInteger left;

        Answers(int records) {
            errors = new Throwable[records];
            left = new AtomicInteger(records);
            if (records == 0) {
                all.complete(null);
            }
        }

        void answer(int record, Throwable error) {
            errors[record] = error;
            if (left.decrementAndGet() == 0) {
                all.complete(null);
            }
        }
    }

    /** Hands the records to the lane's producer, in order; their answers come as Kafka gives them. */
    private Answers send(List<PointRecord> records) {
        Answers answers = new Answers(records.size());
        lane.execute(() -> {
            for (int i = 0; i < records.size(); i++) {
                int record = i;
                if (!link.ready() || !running) {
                    // Kafka went away: the rest of this batch stays in the spool for the next round.
                    answers.answer(record, new org.apache.kafka.common.errors.TimeoutException("Kafka is not reachable"));
                    continue;
                }
                try {
                    lane.producer().send(link.record(records.get(i)), (metadata, error) -> {
                        if (error != null && !KafkaErrors.refusesRecord(error)) {
                            link.lost();
                        }
                        answers.answer(record, error);
                    });
                } catch (RuntimeException e) {
                    answers.answer(record, e);
                }
            }
            // The batch is whole: it goes now, not after the producer's linger, which the drainer would wait out batch after
            // batch (with the telnet producer's 25 ms, a spool drained at half the rate).
            if (link.ready() && running) {
                lane.flush();
            }
        });
        return answers;
    }
}
