package io.rewind.cli;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.rewind.archive.location.Storages;
import io.rewind.archiver.Archiver;
import io.rewind.archiver.ArchiverConfig;
import io.rewind.devstack.DevStack;
import io.rewind.devstack.process.Await;
import io.rewind.schema.Point;
import io.rewind.schema.SeriesKey;
import io.rewind.schema.wire.SingleObjectWireFormat;
import io.rewind.service.config.Settings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * An archive the real archiver wrote from a real topic, not one a test helper built: the points produced into a topic of
 * the dev stack's Kafka as the tap produces them (key: the series key; value: the point in the single-object wire format;
 * record time: the time the tap received it), then the archiver run on that topic until it has archived every record.
 */
final class ArchiverOutput {
    private static final SingleObjectWireFormat<Point> FORMAT = new SingleObjectWireFormat<>(Point.class);

    private ArchiverOutput() {
    }

    /** Archives the points, each received at {@code receivedMs}, into {@code dir/archive} from a new topic; returns the archive. */
    static Path archive(DevStack stack, Path dir, String topic, List<Point> points, long receivedMs) throws Exception {
        String bootstrap = stack.kafka().bootstrapServers();
        // Records of another year: no retention, or Kafka deletes them before the archiver reads them.
        stack.kafka().createTopic(topic, 3, Map.of("retention.ms", "-1", "retention.bytes", "-1"));
        Map<String, Object> producing = Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap, ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true, ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producing)) {
            for (Point point : points) {
                producer.send(new ProducerRecord<>(topic, null, receivedMs, SeriesKey.of(point).toBytes(), FORMAT.encode(point)));
            }
            producer.flush();
        }
        Path archive = dir.resolve("archive");
        Map<String, String> settings = ArchiverConfig.localSettings(bootstrap, topic, archive.toString(), dir.resolve("archiver-state"),
                Duration.ofSeconds(1));
        settings.put("application.id", "rewind-" + topic); // one archiver per topic of the shared broker
        ArchiverConfig config = ArchiverConfig.from(Settings.fromMap("archiver", settings));
        PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        try (Archiver archiver = Archiver.start(config, Storages.open(config.storage()), metrics)) {
            Await.until("the archiver to archive the " + points.size() + " records of " + topic, Duration.ofMinutes(3), () -> { },
                    () -> metrics.get("rewind.archiver.points.archived").counter().count() >= points.size());
        }
        return archive;
    }
}
