package io.rewind.tap.delivery;

import io.rewind.tap.record.PointRecord;
import java.util.List;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether Kafka takes points now, for the topic: false from the first failed send until the producers
 * find the topic's metadata again. While it is false, points go to the spool.
 */
final class KafkaLink {
    private static final Logger LOG = LoggerFactory.getLogger(KafkaLink.class);
    private final String topic;
    private final List<Producer<byte[], byte[]>> producers;
    private volatile boolean ready;

    KafkaLink(String topic, List<Producer<byte[], byte[]>> producers) {
        this.topic = topic;
        this.producers = producers;
    }

    boolean ready() {
        return ready;
    }

    /** A send failed: points go to the spool until {@link #check} succeeds. */
    void lost() {
        ready = false;
    }

    /** Asks every producer for the topic's metadata (waiting up to its {@code max.block.ms}); throws while Kafka cannot answer. */
    void check() {
        if (ready) {
            return;
        }
        for (Producer<byte[], byte[]> producer : producers) {
            producer.partitionsFor(topic);
        }
        ready = true;
        LOG.info("Kafka has the topic '{}': points go to it", topic);
    }

    ProducerRecord<byte[], byte[]> record(PointRecord record) {
        return new ProducerRecord<>(topic, null, record.receivedMs(), record.key(), record.value());
    }
}
