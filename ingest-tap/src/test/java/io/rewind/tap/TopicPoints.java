package io.rewind.tap;

import io.rewind.schema.Point;
import io.rewind.schema.wire.SingleObjectWireFormat;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/** Reads a points topic from the start, the way the archiver does (read_committed), as records with their keys. */
final class TopicPoints {
    private static final SingleObjectWireFormat<Point> FORMAT = new SingleObjectWireFormat<>(Point.class);

    record Record(String key, Point point, long timestamp, int partition) {
    }

    private TopicPoints() {
    }

    /**
     * Every record of the topic up to its end offsets (the last stable ones: read_committed) once it holds at least
     * {@code expected}: what is there, counted where it was written, duplicates included; fails after the timeout.
     */
    static List<Record> read(String bootstrap, String topic, int expected, Duration timeout) {
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName(),
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName()))) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            List<Record> out = new ArrayList<>();
            long deadline = System.nanoTime() + timeout.toNanos();
            while (true) {
                Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
                while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
                    if (System.nanoTime() > deadline) {
                        throw new AssertionError("the topic " + topic + " was not read to its end offsets " + end + " in " + timeout);
                    }
                    for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                        out.add(new Record(new String(r.key(), java.nio.charset.StandardCharsets.UTF_8), FORMAT.decode(r.value()),
                                r.timestamp(), r.partition()));
                    }
                }
                if (out.size() >= expected) {
                    return out;
                }
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("the topic " + topic + " holds " + out.size() + " records, not the " + expected
                            + " expected, after " + timeout);
                }
                consumer.poll(Duration.ofMillis(200)).forEach(r -> out.add(new Record(new String(r.key(),
                        java.nio.charset.StandardCharsets.UTF_8), FORMAT.decode(r.value()), r.timestamp(), r.partition())));
            }
        }
    }
}
