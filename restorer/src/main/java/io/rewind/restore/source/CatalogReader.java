package io.rewind.restore.source;

import io.rewind.schema.CatalogAction;
import io.rewind.schema.CatalogRecord;
import io.rewind.schema.wire.WireFormat;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Reads the archiver's catalog topic from its beginning to its current end, committed transactions
 * only, and returns the files it records as present: for each path the latest record, unless that
 * record is a DELETE. No consumer group, no committed offsets: it only reads.
 */
public final class CatalogReader {
    private CatalogReader() {
    }

    public static Map<String, CatalogRecord> read(Map<String, String> kafkaSettings, String topic, WireFormat<CatalogRecord> format,
            Duration timeout) {
        Properties props = new Properties();
        props.putAll(kafkaSettings);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.putIfAbsent(ConsumerConfig.CLIENT_ID_CONFIG, "rewind-verify");
        Map<String, CatalogRecord> files = new TreeMap<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            var partitions = consumer.partitionsFor(topic, timeout);
            if (partitions == null || partitions.isEmpty()) {
                throw new IllegalArgumentException("the catalog topic '" + topic + "' does not exist");
            }
            List<TopicPartition> assigned = partitions.stream().map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(assigned);
            consumer.seekToBeginning(assigned);
            Map<TopicPartition, Long> end = new HashMap<>(consumer.endOffsets(assigned, timeout));
            long deadline = System.nanoTime() + timeout.toNanos();
            while (end.entrySet().stream().anyMatch(e -> consumer.position(e.getKey(), timeout) < e.getValue())) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("reading the catalog topic '" + topic + "' took longer than " + timeout);
                }
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                    if (record.value() == null) {
                        continue;
                    }
                    CatalogRecord entry = format.decode(record.value());
                    if (entry.getAction() == CatalogAction.DELETE) {
                        files.remove(entry.getPath());
                    } else {
                        files.put(entry.getPath(), entry);
                    }
                }
            }
        }
        return files;
    }
}
