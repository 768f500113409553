package io.rewind.tap.delivery;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.Producer;

/**
 * A producer and the one thread that hands it points, in order. A send may block on metadata, which must
 * never stall a client's event loop; one thread keeps the order. With group commit the thread flushes the
 * producer whenever its queue runs empty: every request queued is then in one produce request, and the
 * requests that arrive while a flush waits for Kafka go together in the next one.
 */
final class KafkaLane {
    private final Producer<byte[], byte[]> producer;
    private final ThreadPoolExecutor sender;
    private final boolean groupCommit;

    KafkaLane(Producer<byte[], byte[]> producer, String thread, boolean groupCommit) {
        this.producer = producer;
        this.groupCommit = groupCommit;
        this.sender = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, thread);
            t.setDaemon(true);
            return t;
        });
    }

    Producer<byte[], byte[]> producer() {
        return producer;
    }

    /** Runs the work on the lane's thread, after the work handed to it before. */
    void execute(Runnable work) {
        sender.execute(work);
    }

    /** Group commit: once nothing else is queued, sends what the producer holds now. Interrupted by a close while Kafka is away. */
    void flushIfIdle() {
        if (groupCommit && sender.getQueue().isEmpty()) {
            flush();
        }
    }

    /**
     * Sends what the producer holds now, without waiting for its linger, and waits until Kafka has answered for it.
     * Interrupted by a close while Kafka is away.
     */
    void flush() {
        try {
            producer.flush();
        } catch (RuntimeException e) {
            // Interrupted by close while Kafka is away: the producer's close hands what it holds back.
        }
    }

    /**
     * Stops taking work and waits up to {@code timeout} for what is queued; if the thread is still busy then (a flush
     * waiting for a Kafka that is away), interrupts it and returns the work that never started, for the caller to run.
     */
    List<Runnable> stop(Duration timeout) throws InterruptedException {
        sender.shutdown();
        if (sender.awaitTermination(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            return List.of();
        }
        return sender.shutdownNow();
    }

    /** Closes the producer, waiting up to {@code timeout} for Kafka to take what it holds. */
    void closeProducer(Duration timeout) {
        producer.close(timeout);
    }
}
