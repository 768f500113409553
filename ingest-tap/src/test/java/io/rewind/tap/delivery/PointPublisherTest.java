package io.rewind.tap.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.rewind.tap.metrics.TapMetrics;
import io.rewind.tap.record.PointRecord;
import io.rewind.tap.spool.Spool;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.NetworkException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The publisher between a tap's handlers and Kafka, with Kafka played by {@link MockProducer}s whose sends
 * the test completes, fails or leaves hanging, and a real spool.
 */
@Timeout(60)
class PointPublisherTest {
    private static final int TOO_LARGE = 1_000;

    @TempDir
    Path dir;

    private final TapMetrics metrics = new TapMetrics(new SimpleMeterRegistry());

    @Test
    void anHttpPutIsNotAcknowledgedWhileAPointWhoseSendFailedWaitsForRoomInTheSpool() throws Exception {
        KafkaAway awaited = new KafkaAway();
        // Room for one of the two points: the second, failed in flight, must wait in memory for the drain.
        Spool spool = Spool.open(dir, 1_000, 1 << 20);
        MockProducer<byte[], byte[]> batching = producer(false);
        PointPublisher publisher = new PointPublisher(batching, awaited, settings(), spool, gaps(), metrics, Duration.ofMillis(200));
        await("points go straight to Kafka", publisher::sendsDirectly);
        // Kafka is away for the spool's drain too: were it back, the drain would free the room and the put be kept.
        batching.partitionsForException = new org.apache.kafka.common.errors.TimeoutException("Kafka is away");
        CompletableFuture<Void> put = publisher.publishAwaited(List.of(record(1, 600), record(2, 600)));
        await("both points are in the producer", () -> awaited.history().size() == 2);
        awaited.errorNext(new NetworkException("the broker went away"));
        awaited.errorNext(new NetworkException("the broker went away"));
        assertThat(put).as("the client's answer, while one of its points is only in memory").isNotDone();
        assertThat(publisher.blocked()).as("the point still waits for room").isTrue();
        publisher.close();
        assertThat(put).as("a tap stopped before the point found room answers an error, not 2xx").isCompletedExceptionally();
        assertThat(count("rewind.tap.points.missed")).isEqualTo(1);
    }

    @Test
    void aStopWhileAFlushWaitsForKafkaSpoolsTheRequestsQueuedBehindIt() throws Exception {
        KafkaAway awaited = new KafkaAway();
        PointPublisher publisher = new PointPublisher(producer(false), awaited, settings(), Spool.open(dir, 1 << 30, 1 << 20), gaps(), metrics,
                Duration.ofMillis(200));
        await("points go straight to Kafka", publisher::sendsDirectly);
        publisher.publishAwaited(List.of(record(1, 10)));
        assertThat(awaited.flushing.await(10, TimeUnit.SECONDS)).as("the first request's flush started").isTrue();
        CompletableFuture<Void> second = publisher.publishAwaited(List.of(record(2, 10), record(3, 10)));
        CompletableFuture<Void> third = publisher.publishAwaited(List.of(record(4, 10)));
        publisher.close();
        // The first point is in the producer, which hands it back when its close gives up on Kafka (a MockProducer does not).
        assertThat(second).isCompleted();
        assertThat(third).isCompleted();
        try (Spool reopened = Spool.open(dir, 1 << 30, 1 << 20)) {
            assertThat(ids(reopened.read(100).records())).containsExactly(2, 3, 4);
        }
        assertThat(count("rewind.tap.points.missed")).isZero();
    }

    @Test
    void aPointKafkaWillNeverTakeIsDeadLetteredAndTheSpoolDrainsPastIt() throws Exception {
        Spool spool = Spool.open(dir, 1 << 30, 1 << 20);
        spool.append(List.of(record(1, 10), record(2, TOO_LARGE + 1), record(3, 10))).get();
        Picky kafka = new Picky();
        PointPublisher publisher = new PointPublisher(kafka, kafka, settings(), spool, gaps(), metrics, Duration.ofSeconds(1));
        await("the spool drained", spool::isEmpty);
        await("points go straight to Kafka again", publisher::sendsDirectly);
        publisher.publish(List.of(record(4, 10))).get(10, TimeUnit.SECONDS);
        publisher.close();
        assertThat(ids(kafka.history().stream().filter(r -> r.topic().equals("points"))
                .map(r -> new PointRecord(r.key(), r.value(), r.timestamp())).toList()))
                .containsExactly(1, 3, 4);
        assertThat(count("rewind.tap.points.dead.lettered")).isEqualTo(1);
        try (Spool deadLetters = Spool.open(dir.resolve("dead-letters"), 1 << 30, 1 << 20)) {
            assertThat(ids(deadLetters.read(100).records())).containsExactly(2);
        }
        assertThat(count("rewind.tap.gaps.recorded")).as("the refused point went to OpenTSDB: its metric-hour is a gap").isEqualTo(1);
    }

    @Test
    void aPointKafkaWillNeverTakeSentDirectlyIsDeadLetteredAndKafkaStaysInUse() throws Exception {
        Picky kafka = new Picky();
        Spool spool = Spool.open(dir, 1 << 30, 1 << 20);
        PointPublisher publisher = new PointPublisher(kafka, kafka, settings(), spool, gaps(), metrics, Duration.ofSeconds(1));
        await("points go straight to Kafka", publisher::sendsDirectly);
        publisher.publishAwaited(List.of(record(1, 10), record(2, TOO_LARGE + 1), record(3, 10))).get(10, TimeUnit.SECONDS);
        assertThat(publisher.sendsDirectly()).as("Kafka is still in use").isTrue();
        assertThat(spool.isEmpty()).isTrue();
        publisher.close();
        assertThat(ids(kafka.history().stream().filter(r -> r.topic().equals("points"))
                .map(r -> new PointRecord(r.key(), r.value(), r.timestamp())).toList()))
                .containsExactly(1, 3);
        assertThat(count("rewind.tap.points.dead.lettered")).isEqualTo(1);
        try (Spool deadLetters = Spool.open(dir.resolve("dead-letters"), 1 << 30, 1 << 20)) {
            assertThat(ids(deadLetters.read(100).records())).containsExactly(2);
        }
    }

    /** A point whose value holds its id in its first 4 bytes, padded to {@code valueBytes}. */
    private static PointRecord record(int id, int valueBytes) {
        return new PointRecord(("series-" + id).getBytes(), ByteBuffer.allocate(Math.max(4, valueBytes)).putInt(id).array(), 1_700_000_000_000L);
    }

    private static List<Integer> ids(List<PointRecord> records) {
        return records.stream().map(r -> ByteBuffer.wrap(r.value()).getInt()).toList();
    }

    private static DeliverySettings settings() {
        return new DeliverySettings("points", "points-gaps", 8 << 20, DeliverySettings.FullPolicy.BLOCK, false, new Properties(), new Properties());
    }

    /** The gaps the publisher records, in a directory of their own. */
    private GapRecorder gaps() throws IOException {
        return GapRecorder.open(dir.resolve("gaps"), "tap-test", 0, 1000, metrics);
    }

    private static MockProducer<byte[], byte[]> producer(boolean autoComplete) {
        return new MockProducer<>(autoComplete, null, new ByteArraySerializer(), new ByteArraySerializer());
    }

    private double count(String name) {
        Counter counter = metrics.registry().find(name).counter();
        return counter == null ? 0 : counter.count();
    }

    /** Waits for a condition that another thread makes true, failing after 10 s. */
    private static void await(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("Timed out waiting until " + what);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
    }

    /** Kafka away: sends never complete, and a flush waits until interrupted, as KafkaProducer's does. */
    private static final class KafkaAway extends MockProducer<byte[], byte[]> {
        final CountDownLatch flushing = new CountDownLatch(1);

        KafkaAway() {
            super(false, null, new ByteArraySerializer(), new ByteArraySerializer());
        }

        @Override
        public void flush() {
            flushing.countDown();
            try {
                new CountDownLatch(1).await();
            } catch (InterruptedException e) {
                throw new InterruptException(e);
            }
        }
    }

    /** Kafka taking every record but those over its size limit, which it refuses for good, as max.request.size does. */
    private static final class Picky extends MockProducer<byte[], byte[]> {
        Picky() {
            super(true, null, new ByteArraySerializer(), new ByteArraySerializer());
        }

        @Override
        public synchronized Future<RecordMetadata> send(ProducerRecord<byte[], byte[]> record, Callback callback) {
            if (record.value().length > TOO_LARGE) {
                RecordTooLargeException error = new RecordTooLargeException("The message is " + record.value().length
                        + " bytes when serialized which is larger than " + TOO_LARGE + ", the value of max.request.size");
                callback.onCompletion(null, error);
                return CompletableFuture.failedFuture(error);
            }
            return super.send(record, callback);
        }
    }
}
