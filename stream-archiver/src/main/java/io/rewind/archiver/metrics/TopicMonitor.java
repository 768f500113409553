package io.rewind.archiver.metrics;

import io.micrometer.core.instrument.Tags;
import io.rewind.service.PointsTopic;
import io.rewind.service.RateLimitedLog;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.ListOffsetsResult.ListOffsetsResultInfo;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches the points topic from beside the archiver, so that alerts can tell a stalled archive from an idle topic and see
 * Kafka about to delete what is not archived yet. Every {@link #INTERVAL} it reads, per partition, the newest record's time
 * and the time of the oldest record the archiver has not committed, and the topic's {@code retention.ms}:
 * <ul>
 *   <li>{@code rewind_archiver_topic_newest_record_timestamp_seconds{topic,partition}}</li>
 *   <li>{@code rewind_archiver_oldest_unarchived_record_age_seconds{topic,partition}} (0 when all is archived)</li>
 *   <li>{@code rewind_archiver_topic_retention_seconds{topic}} (-1: unlimited)</li>
 * </ul>
 * A failed reading (Kafka away) never touches archiving: it is counted as {@code rewind_archiver_errors_total{kind="monitor"}},
 * logged at most once a minute, and the gauges keep their last values (the age keeps growing with the clock).
 */
public final class TopicMonitor implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TopicMonitor.class);
    static final Duration INTERVAL = Duration.ofSeconds(15);
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    /** What one look at the topic found. */
    public record Reading(long retentionMs, Map<Integer, Partition> partitions) {
    }

    /**
     * One partition: the timestamp of its newest record and of the oldest record past the archiver's committed offset, each
     * -1 when there is none; {@link #UNKNOWN} when there is one but it could not be read in time.
     */
    public record Partition(long newestRecordMs, long oldestUnarchivedMs) {
    }

    public static final long UNKNOWN = Long.MIN_VALUE;

    /** Where a reading comes from: Kafka in production, a test's own values in tests. */
    public interface Probe extends AutoCloseable {
        Reading read() throws Exception;

        @Override
        default void close() {
        }
    }

    private final String topic;
    private final Probe probe;
    private final ArchiverMetrics metrics;
    private final LongSupplier clock;
    private final RateLimitedLog failures = new RateLimitedLog(LOG, Duration.ofMinutes(1));
    private ScheduledExecutorService thread;

    public TopicMonitor(String topic, Probe probe, ArchiverMetrics metrics, LongSupplier clock) {
        this.topic = topic;
        this.probe = probe;
        this.metrics = metrics;
        this.clock = clock;
    }

    /** Watches the topic through Kafka on its own daemon thread, from now until {@link #close()}. */
    public static TopicMonitor start(String bootstrapServers, Map<String, String> kafka, String topic, String group, ArchiverMetrics metrics) {
        TopicMonitor monitor = new TopicMonitor(topic, new KafkaProbe(bootstrapServers, kafka, topic, group), metrics,
                System::currentTimeMillis);
        monitor.thread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "rewind-topic-monitor");
            t.setDaemon(true);
            return t;
        });
        monitor.thread.scheduleWithFixedDelay(monitor::poll, 0, INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
        return monitor;
    }

    /** One reading, into the gauges; a failure leaves them as they were. */
    public void poll() {
        Reading reading;
        try {
            reading = probe.read();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        } catch (Exception e) {
            metrics.error("monitor");
            failures.warn("Could not read the state of topic {} (its newest records, the oldest not archived, its retention): {}."
                    + " Archiving goes on; the monitoring gauges keep their last values.", topic, e.toString());
            return;
        }
        metrics.millisGauge("rewind.archiver.topic.retention", "The points topic's retention.ms, in seconds; -1: unlimited",
                Tags.of("topic", topic), ms -> ms < 0 ? -1 : ms / 1000.0).set(reading.retentionMs());
        reading.partitions().forEach((partition, p) -> {
            Tags tags = Tags.of("topic", topic, "partition", Integer.toString(partition));
            if (p.newestRecordMs() != UNKNOWN && p.newestRecordMs() >= 0) {
                metrics.millisGauge("rewind.archiver.topic.newest.record.timestamp", "Timestamp of the partition's newest record,"
                        + " i.e. when the tap received it (epoch seconds)", tags, ms -> ms / 1000.0).set(p.newestRecordMs());
            }
            if (p.oldestUnarchivedMs() != UNKNOWN) {
                metrics.millisGauge("rewind.archiver.oldest.unarchived.record.age", "Age of the partition's oldest record past the"
                        + " archiver's committed offset; 0 when everything is archived", tags,
                        ms -> ms < 0 ? 0 : Math.max(0, clock.getAsLong() - ms) / 1000.0).set(p.oldestUnarchivedMs());
            }
        });
    }

    @Override
    public void close() {
        if (thread != null) {
            thread.shutdownNow();
            try {
                thread.awaitTermination(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        try {
            probe.close();
        } catch (Exception e) {
            LOG.warn("Closing the topic monitor: {}", e.toString());
        }
    }

    /** The topic as Kafka sees it: an admin client for offsets, configs and the group's commits; a consumer for one record's time. */
    static final class KafkaProbe implements Probe {
        private final Properties properties;
        private final String topic;
        private final String group;
        private Admin admin;
        private KafkaConsumer<byte[], byte[]> consumer;

        KafkaProbe(String bootstrapServers, Map<String, String> kafka, String topic, String group) {
            this.properties = PointsTopic.adminProperties(bootstrapServers, kafka);
            this.topic = topic;
            this.group = group;
        }

        @Override
        public Reading read() throws Exception {
            if (admin == null) {
                admin = Admin.create(properties);
            }
            ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
            Config config = admin.describeConfigs(List.of(resource)).all().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).get(resource);
            ConfigEntry retention = config.get(TopicConfig.RETENTION_MS_CONFIG);
            List<TopicPartition> partitions = admin.describeTopics(List.of(topic)).allTopicNames().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
                    .get(topic).partitions().stream().map(p -> new TopicPartition(topic, p.partition())).toList();
            Map<TopicPartition, ListOffsetsResultInfo> earliest = offsets(partitions, OffsetSpec.earliest());
            Map<TopicPartition, ListOffsetsResultInfo> latest = offsets(partitions, OffsetSpec.latest());
            Map<TopicPartition, ListOffsetsResultInfo> newest = offsets(partitions, OffsetSpec.maxTimestamp());
            Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata()
                    .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            Map<TopicPartition, Long> unarchived = new HashMap<>(); // the first offset not archived, where records follow it
            for (TopicPartition tp : partitions) {
                OffsetAndMetadata commit = committed.get(tp);
                long from = Math.max(earliest.get(tp).offset(), commit == null ? 0 : commit.offset());
                if (from < latest.get(tp).offset()) {
                    unarchived.put(tp, from);
                }
            }
            Map<TopicPartition, Long> oldest = firstTimestamps(unarchived);
            Map<Integer, Partition> out = new HashMap<>();
            for (TopicPartition tp : partitions) {
                ListOffsetsResultInfo max = newest.get(tp);
                out.put(tp.partition(), new Partition(max == null || max.offset() < 0 ? -1 : max.timestamp(),
                        !unarchived.containsKey(tp) ? -1 : oldest.getOrDefault(tp, UNKNOWN)));
            }
            return new Reading(retention == null || retention.value() == null ? -1 : Long.parseLong(retention.value()), out);
        }

        private Map<TopicPartition, ListOffsetsResultInfo> offsets(List<TopicPartition> partitions, OffsetSpec spec) throws Exception {
            Map<TopicPartition, OffsetSpec> request = new HashMap<>();
            partitions.forEach(tp -> request.put(tp, spec));
            return admin.listOffsets(request).all().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        }

        /** The timestamp of the record at each given offset (or the first after it, where it was a transaction marker). */
        private Map<TopicPartition, Long> firstTimestamps(Map<TopicPartition, Long> from) {
            Map<TopicPartition, Long> found = new HashMap<>();
            if (from.isEmpty()) {
                return found;
            }
            if (consumer == null) {
                Properties props = new Properties();
                props.putAll(properties);
                props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
                props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
                props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
                props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
                props.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, "65536");
                props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
                consumer = new KafkaConsumer<>(props);
            }
            consumer.assign(from.keySet());
            from.forEach(consumer::seek);
            long deadline = System.nanoTime() + TIMEOUT.toNanos();
            while (found.size() < from.size() && System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                    TopicPartition tp = new TopicPartition(record.topic(), record.partition());
                    if (found.putIfAbsent(tp, record.timestamp()) == null) {
                        consumer.pause(List.of(tp));
                    }
                }
            }
            consumer.resume(consumer.paused());
            return found;
        }

        @Override
        public void close() {
            if (consumer != null) {
                consumer.close(Duration.ofSeconds(5));
            }
            if (admin != null) {
                admin.close(Duration.ofSeconds(5));
            }
        }
    }
}
