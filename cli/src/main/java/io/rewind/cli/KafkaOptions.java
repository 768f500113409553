package io.rewind.cli;

import io.rewind.restore.source.KafkaTail;
import java.net.URI;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine.Option;

/** The Kafka cluster of the points topic, for the verbs that compare the archive with it. */
final class KafkaOptions {
    @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT,...",
            description = "The Kafka cluster of the points topic: to compare the archive with the topic, and to read its tail.")
    String bootstrapServers;

    @Option(names = "--kafka", paramLabel = "KEY=VALUE",
            description = "A Kafka client setting, e.g. security.protocol=SASL_SSL, sasl.jaas.config=...; repeatable.")
    Map<String, String> kafka = new LinkedHashMap<>();

    @Option(names = "--schema-registry", paramLabel = "URL",
            description = "The Schema Registry, when the tap writes Confluent's wire format (its schema.registry.url).")
    URI schemaRegistry;

    @Option(names = "--archiver-id", defaultValue = KafkaTail.DEFAULT_ARCHIVER_ID, paramLabel = "ID",
            description = {"The archiver's application.id (default: ${DEFAULT-VALUE}): its committed offsets say what the archive",
                    "holds; without them, the archived files' offsets do."})
    String archiverId;

    /** Set by the restore's --tail-max-points. */
    long tailMaxPoints = Long.MAX_VALUE;

    boolean given() {
        return bootstrapServers != null;
    }

    /** The settings, or null without --bootstrap-servers. */
    KafkaTail.Settings settings(String topic) {
        if (bootstrapServers == null) {
            return null;
        }
        Map<String, String> settings = new LinkedHashMap<>(kafka);
        settings.put("bootstrap.servers", bootstrapServers);
        return new KafkaTail.Settings(settings, topic, archiverId, Optional.ofNullable(schemaRegistry), Duration.ofSeconds(60),
                tailMaxPoints);
    }
}
