package io.rewind.tap;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.rewind.schema.Point;
import io.rewind.schema.wire.WireFormats;
import io.rewind.service.AdminServer;
import io.rewind.service.ProcessMetrics;
import io.rewind.service.config.ConfigException;
import io.rewind.service.config.Settings;
import io.rewind.service.config.Usage;
import io.rewind.tap.config.TapConfig;
import io.rewind.tap.metrics.TapMetrics;
import io.rewind.tap.record.PointEncoder;
import io.rewind.tap.delivery.GapRecorder;
import io.rewind.tap.delivery.PointPublisher;
import io.rewind.tap.spool.SpoolDirectory;
import io.rewind.tap.server.TapContext;
import io.rewind.tap.server.TapServer;
import io.rewind.tap.server.Upstreams;
import io.rewind.tap.spool.Spool;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ingest-tap process: the client port ({@link TapServer}), the publisher with its spool, the
 * upstream TSDs and the admin port. {@link #close} shuts down in order: stop accepting and let
 * clients finish, then flush the producer and close the spool.
 */
public final class Tap implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Tap.class);
    private static final long SPOOL_SEGMENT_BYTES = 64L << 20;

    private final TapConfig config;
    private final TapServer server;
    private final PointPublisher publisher;
    private final Upstreams upstreams;
    private final AdminServer admin;
    private final TapMetrics metrics;

    private Tap(TapConfig config, TapServer server, PointPublisher publisher, Upstreams upstreams, AdminServer admin, TapMetrics metrics) {
        this.config = config;
        this.server = server;
        this.publisher = publisher;
        this.upstreams = upstreams;
        this.admin = admin;
        this.metrics = metrics;
    }

    /**
     * Starts a tap; a spool left by an earlier tap in {@code spool.dir} is drained first, in order. All or nothing: when a
     * part cannot start (the admin port taken, a Kafka setting the producer refuses, a Schema Registry it cannot register
     * with), every part started before it is closed again and the cause is thrown.
     */
    public static Tap start(TapConfig config) throws IOException, InterruptedException {
        Deque<AutoCloseable> started = new ArrayDeque<>();
        try {
            PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
            ProcessMetrics.bindTo(registry);
            TapMetrics metrics = new TapMetrics(registry);
            PointEncoder encoder = new PointEncoder(WireFormats.forTopic(config.topic(), Point.class, config.schemaRegistryUrl(),
                    config.schemaRegistryUserInfo()));
            encoder.prepare();
            SpoolDirectory.refuseVolatile(config.spoolDir(), config.spoolAllowTmpfs());
            Spool spool = Spool.open(config.spoolDir(), config.spoolMaxBytes(), SPOOL_SEGMENT_BYTES);
            started.push(spool);
            GapRecorder gaps = GapRecorder.open(config.spoolDir(), config.tapId(), encoder.header().length, config.gapsMaxMetricsPerHour(),
                    metrics);
            started.push(gaps);
            if (!spool.isEmpty()) {
                LOG.info("The spool in {} holds {} bytes from an earlier run: draining them to Kafka first", config.spoolDir(), spool.pendingBytes());
            }
            PointPublisher publisher = PointPublisher.of(config.delivery(), spool, gaps, metrics);
            started.push(publisher);
            publisher.checkTopic(); // a missing topic is said now, with the command that creates it
            Upstreams upstreams = new Upstreams(config.upstreams(), config.upstreamHealthIntervalMs(), config.upstreamConnectTimeoutMs(), metrics);
            started.push(upstreams);
            TapServer server = TapServer.start(new TapContext(config, publisher, encoder, metrics, upstreams));
            started.push(server);
            AdminServer admin = AdminServer.start(config.adminHost(), config.adminPort(), config.adminTls(), registry,
                    () -> spoolHealth(publisher), () -> ready(publisher, upstreams, server.port()));
            String mode = config.standalone() ? "standalone" : "in front of " + config.upstreams().stream().map(TapConfig::hostPort).toList();
            LOG.info("Rewind tap on port {} ({}), points to topic '{}' at {}, admin port {}", server.port(), mode, config.topic(),
                    config.bootstrapServers(), admin.port());
            return new Tap(config, server, publisher, upstreams, admin, metrics);
        } catch (IOException | InterruptedException | RuntimeException e) {
            for (AutoCloseable part : started) {
                try {
                    part.close();
                } catch (Exception closing) {
                    e.addSuppressed(closing);
                }
            }
            throw e;
        }
    }

    private static AdminServer.Health spoolHealth(PointPublisher publisher) {
        long pending = publisher.spool().pendingBytes();
        if (publisher.blocked()) {
            return AdminServer.Health.failing("the spool is full (" + pending + " bytes) and Kafka is not taking points: clients are held back");
        }
        String problem = publisher.kafkaProblem();
        if (publisher.topicMissing()) { // no retry mends it: someone must create the topic
            return AdminServer.Health.failing("points are waiting in the spool (" + pending + " bytes): " + problem);
        }
        if (problem != null) {
            return AdminServer.Health.ok(pending + " bytes in the spool: " + problem);
        }
        return AdminServer.Health.ok(pending == 0 ? "points go to Kafka" : pending + " bytes in the spool, draining to Kafka");
    }

    /** Ready while an upstream TSD answers (or standalone) and the points topic exists. */
    private static AdminServer.Health ready(PointPublisher publisher, Upstreams upstreams, int port) {
        if (publisher.topicMissing()) {
            return AdminServer.Health.failing("points are waiting in the spool: " + publisher.kafkaProblem());
        }
        return upstreams.anyHealthy() ? AdminServer.Health.ok("serving on port " + port) : AdminServer.Health.failing("no upstream TSD is reachable");
    }

    public int port() {
        return server.port();
    }

    public int adminPort() {
        return admin.port();
    }

    public TapMetrics metrics() {
        return metrics;
    }

    public PointPublisher publisher() {
        return publisher;
    }

    public TapConfig config() {
        return config;
    }

    @Override
    public void close() {
        server.close(Duration.ofSeconds(5));
        publisher.close();
        upstreams.close();
        admin.close();
    }

    public static void main(String[] args) throws Exception {
        if (Usage.answered(Arrays.asList(args), "tap", Tap.class, TapConfig::help)) {
            return;
        }
        TapConfig config;
        try {
            Settings settings = Settings.load("tap", "REWIND_TAP_", System.getenv(), Arrays.asList(args));
            config = TapConfig.from(settings);
            LOG.info("Configuration: {}", settings.describe());
        } catch (ConfigException e) {
            System.err.println(e.getMessage());
            System.exit(2);
            return;
        }
        Tap tap;
        try {
            tap = start(config);
        } catch (IOException | RuntimeException e) {
            LOG.error("The tap cannot start: {}", e.toString(), e);
            System.err.println("The tap cannot start: " + e.getMessage());
            System.exit(1);
            return;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            LOG.info("Stopping: finishing requests, flushing to Kafka, closing the spool");
            tap.close();
            stopped.countDown();
        }, "rewind-tap-shutdown"));
        stopped.await();
    }
}
