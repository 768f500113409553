package io.rewind.archiver;

import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.rewind.archive.location.Storages;
import io.rewind.archive.storage.Storage;
import io.rewind.archiver.metrics.ArchiverMetrics;
import io.rewind.archiver.metrics.TopicMonitor;
import io.rewind.schema.AvroTrust;
import io.rewind.schema.CatalogRecord;
import io.rewind.schema.Point;
import io.rewind.schema.wire.WireFormat;
import io.rewind.schema.wire.WireFormats;
import io.rewind.service.AdminServer;
import io.rewind.service.AdminServer.Health;
import io.rewind.service.PointsTopic;
import io.rewind.service.ProcessMetrics;
import io.rewind.service.config.ConfigException;
import io.rewind.service.config.Settings;
import io.rewind.service.config.Usage;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One archiver instance: the Kafka Streams application, its shared resources and its admin port.
 * {@link #main} reads the configuration (file, environment, flags) and runs until stopped; a stop
 * (SIGTERM, Ctrl-C, {@link #close()}) commits what is buffered, so nothing is read twice.
 */
public final class Archiver implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Archiver.class);
    static {
        AvroTrust.trustRewindSchemas();
    }

    private final ArchiverConfig config;
    private final Storage storage;
    private final ArchiverResources resources;
    private final KafkaStreams streams;
    private final KafkaStreamsMetrics streamsMetrics;
    private final AdminServer admin;
    private final TopicMonitor monitor;
    private final GapWatch gapWatch;

    private Archiver(ArchiverConfig config, Storage storage, PrometheusMeterRegistry registry) throws Exception {
        this.config = config;
        this.storage = storage;
        ArchiverMetrics metrics = new ArchiverMetrics(registry);
        ProcessMetrics.bindTo(registry);
        WireFormat<Point> points = WireFormats.forTopic(config.topic(), Point.class, config.schemaRegistryUrl(), config.schemaRegistryUserInfo());
        WireFormat<CatalogRecord> catalog = WireFormats.forTopic(config.catalogTopic(), CatalogRecord.class, config.schemaRegistryUrl(),
                config.schemaRegistryUserInfo());
        prepareTopics(config);
        this.resources = new ArchiverResources(config, storage, metrics, points);
        this.streams = new KafkaStreams(ArchiverTopology.build(resources, catalog), config.streamsProperties());
        streams.setUncaughtExceptionHandler(e -> {
            metrics.error("stream-thread");
            LOG.error("A stream thread failed; it is replaced and its tasks restart from their last commit, nothing is lost: {}", e.toString(), e);
            return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
        });
        this.streamsMetrics = new KafkaStreamsMetrics(streams);
        streamsMetrics.bindTo(registry);
        this.admin = AdminServer.start(config.adminHost(), config.adminPort(), config.adminTls(), registry, this::health, this::ready);
        streams.start();
        this.monitor = TopicMonitor.start(config.bootstrapServers(), config.kafka(), config.topic(), config.applicationId(), metrics);
        this.gapWatch = GapWatch.start(storage, config.topic(), metrics);
        LOG.info("Archiving topic {} into {} (window {} ms, commit every {} ms); catalog topic {}; admin port {}", config.topic(),
                storage.uri(), config.windowSizeMs(), config.commitIntervalMs(), config.catalogTopic(), admin.port());
    }

    /** Starts an archiver writing into the given storage (which it closes when it closes). */
    public static Archiver start(ArchiverConfig config, Storage storage) throws Exception {
        return start(config, storage, new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
    }

    /** The same, with its metrics in the given registry. */
    public static Archiver start(ArchiverConfig config, Storage storage, PrometheusMeterRegistry registry) throws Exception {
        return new Archiver(config, storage, registry);
    }

    public int adminPort() {
        return admin.port();
    }

    public KafkaStreams.State state() {
        return streams.state();
    }

    /** Healthy while Kafka Streams runs and storage has not failed for good since its last success. */
    public Health health() {
        KafkaStreams.State state = streams.state();
        if (state == KafkaStreams.State.ERROR || state == KafkaStreams.State.NOT_RUNNING || state == KafkaStreams.State.PENDING_ERROR) {
            return Health.failing("Kafka Streams is " + state);
        }
        ArchiverMetrics m = resources.metrics();
        if (m.lastStorageFailureMs.get() > m.lastStorageSuccessMs.get()) {
            return Health.failing("storage " + storage.uri() + " is failing: commits wait for it, nothing is lost");
        }
        return Health.ok("Kafka Streams is " + state);
    }

    public Health ready() {
        return streams.state() == KafkaStreams.State.RUNNING ? Health.ok("running") : Health.failing("Kafka Streams is " + streams.state());
    }

    /**
     * The points topic must exist (the archiver never guesses its partitions); the catalog topic and the gaps topic are created
     * compacted when missing.
     */
    private static void prepareTopics(ArchiverConfig config) throws Exception {
        try (Admin admin = Admin.create(PointsTopic.adminProperties(config.bootstrapServers(), config.kafka()))) {
            if (!PointsTopic.exists(admin, config.topic(), Duration.ofSeconds(60))) {
                throw new ConfigException("archiver", List.of("The points " + PointsTopic.missing(config.topic(), config.bootstrapServers())
                        + " (or set 'topic')"));
            }
            for (String compacted : List.of(config.catalogTopic(), config.gapsTopic())) {
                NewTopic topic = new NewTopic(compacted, java.util.Optional.empty(),
                        config.catalogReplication() < 0 ? java.util.Optional.empty() : java.util.Optional.of(config.catalogReplication()))
                        .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT));
                try {
                    admin.createTopics(List.of(topic)).all().get();
                    LOG.info("Created the topic {} (compacted)", compacted);
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw e;
                    }
                }
            }
        }
    }

    /** Stops: commits what is buffered (writing its parts), then closes everything. */
    @Override
    public void close() {
        monitor.close();
        streams.close(Duration.ofSeconds(120));
        gapWatch.close();
        streamsMetrics.close();
        admin.close();
        try {
            resources.close();
            storage.close();
        } catch (Exception e) {
            LOG.warn("Closing the archiver: {}", e.toString());
        }
    }

    public static void main(String[] args) throws Exception {
        if (Usage.answered(Arrays.asList(args), "archiver", Archiver.class, ArchiverConfig::help)) {
            return;
        }
        ArchiverConfig config;
        try {
            Settings settings = Settings.load("archiver", "REWIND_ARCHIVER_", System.getenv(), Arrays.asList(args));
            config = ArchiverConfig.from(settings);
            LOG.info("Configuration: {}", settings.describe());
        } catch (ConfigException e) {
            System.err.println(e.getMessage());
            System.exit(2);
            return;
        }
        Archiver archiver = start(config, Storages.open(config.storage(), config.keyset()));
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            LOG.info("Stopping: committing what is buffered");
            archiver.close();
            stopped.countDown();
        }, "rewind-archiver-shutdown"));
        stopped.await();
    }
}
