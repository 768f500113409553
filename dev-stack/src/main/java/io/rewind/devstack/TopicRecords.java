package io.rewind.devstack;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * A topic read from its start to its end offsets as the archiver reads it (read_committed): every record written there,
 * duplicates included. Tests count what is in Kafka with it, where it was written, not with Rewind's own counters.
 */
public final class TopicRecords {
    private TopicRecords() {
    }

    /** Every record of the topic up to the end offsets it has now; fails when they are not reached within the timeout. */
    public static List<ConsumerRecord<byte[], byte[]>> readToEnd(String bootstrap, String topic, Duration timeout) {
        return readToEnd(bootstrap, topic, 0, timeout);
    }

    /**
     * Every record of the topic up to its end offsets once it holds at least {@code atLeast}: the end offsets are asked
     * again while fewer are there, and the one consumer reads on from where it stood. Fails after the timeout.
     */
    public static List<ConsumerRecord<byte[], byte[]>> readToEnd(String bootstrap, String topic, int atLeast, Duration timeout) {
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName(),
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName()))) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
            long deadline = System.nanoTime() + timeout.toNanos();
            while (true) {
                Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
                while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
                    if (System.nanoTime() > deadline) {
                        throw new AssertionError("the topic " + topic + " was not read to its end offsets " + end + " in " + timeout);
                    }
                    consumer.poll(Duration.ofMillis(200)).forEach(records::add);
                }
                if (records.size() >= atLeast) {
                    return records;
                }
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("the topic " + topic + " holds " + records.size() + " records, not the " + atLeast
                            + " expected, after " + timeout);
                }
                consumer.poll(Duration.ofMillis(200)).forEach(records::add); // waits for records still on their way
            }
        }
    }
}
