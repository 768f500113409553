package io.rewind.tap.delivery;

import io.rewind.service.PointsTopic;
import io.rewind.tap.record.PointRecord;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether Kafka takes points now, for the topic: false from the first failed send until the producers
 * find the topic's metadata again. While it is false, points go to the spool, and the link says why: the topic
 * does not exist (asked of Kafka's admin API, and said at once, with the command that creates it), or Kafka
 * cannot be reached.
 */
final class KafkaLink {
    private static final Logger LOG = LoggerFactory.getLogger(KafkaLink.class);
    private static final Duration ASK_TIMEOUT = Duration.ofSeconds(5);
    private final String topic;
    private final List<Producer<byte[], byte[]>> producers;
    private volatile boolean ready;
    private volatile String problem = "Kafka has not been reached yet";
    private volatile boolean topicMissing;
    private Properties adminProperties;
    private String bootstrapServers;
    private Admin admin;

    KafkaLink(String topic, List<Producer<byte[], byte[]>> producers) {
        this.topic = topic;
        this.producers = producers;
    }

    /** Lets {@link #diagnose} ask Kafka's admin API, with the producers' cluster and security settings. */
    synchronized void askWith(Properties producer) {
        this.bootstrapServers = producer.getProperty("bootstrap.servers");
        this.adminProperties = PointsTopic.adminProperties(bootstrapServers, producer);
    }

    private synchronized Admin admin() {
        if (admin == null) {
            admin = Admin.create(adminProperties);
        }
        return admin;
    }

    synchronized void close() {
        if (admin != null) {
            admin.close(Duration.ofSeconds(1));
            admin = null;
        }
    }

    boolean ready() {
        return ready;
    }

    /** Why points wait in the spool; null while Kafka takes them. */
    String problem() {
        return ready ? null : problem;
    }

    /** Whether Kafka said the topic does not exist: no retry mends that, someone must create it. */
    boolean topicMissing() {
        return !ready && topicMissing;
    }

    /**
     * Asks Kafka whether the topic exists, and records the answer as the reason points wait: a missing topic is said
     * at once, with the command that creates it.
     */
    void diagnose() {
        if (adminProperties == null) {
            return;
        }
        boolean wasMissing = topicMissing;
        try {
            topicMissing = !PointsTopic.exists(admin(), topic, ASK_TIMEOUT);
            problem = topicMissing ? PointsTopic.missing(topic, bootstrapServers) : "Kafka does not take points yet";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            topicMissing = false;
            problem = "Kafka cannot be reached (" + e + ")";
        }
        if (topicMissing && !wasMissing) {
            LOG.warn("Points wait in the spool: the {}", problem);
        }
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
        topicMissing = false;
        LOG.info("Kafka has the topic '{}': points go to it", topic);
    }

    ProducerRecord<byte[], byte[]> record(PointRecord record) {
        return new ProducerRecord<>(topic, null, record.receivedMs(), record.key(), record.value());
    }
}
