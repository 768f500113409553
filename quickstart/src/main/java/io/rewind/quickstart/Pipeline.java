package io.rewind.quickstart;

import io.micrometer.core.instrument.distribution.CountAtBucket;
import io.micrometer.core.instrument.distribution.HistogramSnapshot;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.rewind.archive.ArchiveLayout;
import io.rewind.archive.location.Storages;
import io.rewind.archive.storage.Storage;
import io.rewind.archiver.Archiver;
import io.rewind.archiver.ArchiverConfig;
import io.rewind.devstack.DevStack;
import io.rewind.devstack.Tsd;
import io.rewind.service.config.Settings;
import io.rewind.tap.Tap;
import io.rewind.tap.config.TapConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Rewind's two long-running components on a dev stack, started the way a user starts them: the tap
 * in front of the production TSD and the archiver writing into a local directory, each from a
 * properties file in the quickstart's directory ({@code bin/rewind tap --config tap.properties}).
 */
public final class Pipeline implements AutoCloseable {
    public static final String TOPIC = "points";
    static final int PARTITIONS = 4;

    private final Path dir;
    private final Path tapConfig;
    private final Path archiverConfig;
    private final Tap tap;
    private final Archiver archiver;
    private final PrometheusMeterRegistry archiverMetrics;
    private final Duration commitInterval;

    private Pipeline(Path dir, Path tapConfig, Path archiverConfig, Tap tap, Archiver archiver, PrometheusMeterRegistry archiverMetrics,
            Duration commitInterval) {
        this.dir = dir;
        this.commitInterval = commitInterval;
        this.tapConfig = tapConfig;
        this.archiverConfig = archiverConfig;
        this.tap = tap;
        this.archiver = archiver;
        this.archiverMetrics = archiverMetrics;
    }

    /**
     * The tap's settings in front of {@code upstreams}, writing into Kafka: the keys the compose file
     * sets too ({@code spool.dir} aside, a path of the machine it runs on).
     */
    public static Map<String, String> tapSettings(String bootstrapServers, String upstreams, Path spoolDir) {
        Map<String, String> s = TapConfig.localSettings(bootstrapServers, TOPIC, spoolDir, upstreams);
        s.put("durability", "async");
        return s;
    }

    /**
     * An archiver of another topic than the points topic, with its own {@code application.id} (its consumer group, whose
     * committed offsets say what it archived), into {@code storage}: what a test of its own topic starts.
     */
    public static ArchiverConfig archiverConfig(String bootstrapServers, String topic, String applicationId, String storage, Path stateDir,
            Duration commitInterval) {
        Map<String, String> settings = ArchiverConfig.localSettings(bootstrapServers, topic, storage, stateDir, commitInterval);
        settings.put("application.id", applicationId);
        return ArchiverConfig.from(Settings.fromMap("archiver", settings));
    }

    /** The archiver's settings, archiving the points topic into {@code storage}: the keys the compose file sets too. */
    public static Map<String, String> archiverSettings(String bootstrapServers, String storage, Path stateDir, Duration commitInterval) {
        return ArchiverConfig.localSettings(bootstrapServers, TOPIC, storage, stateDir, commitInterval);
    }

    /**
     * Creates the points topic, writes both properties files into {@code dir}, and starts the tap in
     * front of the stack's production TSD and the archiver into {@code dir/archive}.
     */
    public static Pipeline start(DevStack stack, Tsd production, Path dir, Duration commitInterval) throws Exception {
        return start(stack, production, dir, commitInterval, Map.of());
    }

    /** The same, with these tap settings over the defaults (a small spool, another policy). */
    public static Pipeline start(DevStack stack, Tsd production, Path dir, Duration commitInterval, Map<String, String> tapSettings)
            throws Exception {
        Files.createDirectories(dir);
        String bootstrap = stack.kafka().bootstrapServers();
        stack.kafka().createTopic(TOPIC, PARTITIONS, Map.of());
        Map<String, String> tapping = tapSettings(bootstrap, "127.0.0.1:" + production.port(), dir.resolve("tap-spool"));
        tapping.putAll(tapSettings);
        Path tapConfig = write(dir.resolve("tap.properties"), "Rewind ingest-tap: bin/rewind tap --config " + dir.resolve("tap.properties"),
                tapping);
        Path archiverConfig = write(dir.resolve("archiver.properties"),
                "Rewind stream-archiver: bin/rewind archiver --config " + dir.resolve("archiver.properties"),
                archiverSettings(bootstrap, dir.resolve("archive").toString(), dir.resolve("archiver-state"), commitInterval));
        ArchiverConfig archiving = ArchiverConfig.from(Settings.load("archiver", "", Map.of(), List.of("--config", archiverConfig.toString())));
        PrometheusMeterRegistry archiverMetrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        Archiver archiver = Archiver.start(archiving, Storages.open(archiving.storage(), archiving.keyset()), archiverMetrics);
        try {
            Tap tap = Tap.start(TapConfig.from(Settings.load("tap", "", Map.of(), List.of("--config", tapConfig.toString()))));
            return new Pipeline(dir, tapConfig, archiverConfig, tap, archiver, archiverMetrics, commitInterval);
        } catch (Exception | Error e) {
            archiver.close();
            throw e;
        }
    }

    private static Path write(Path file, String comment, Map<String, String> settings) throws IOException {
        StringBuilder text = new StringBuilder("# ").append(comment).append('\n');
        settings.forEach((key, value) -> text.append(key).append('=').append(value.replace("\\", "\\\\")).append('\n'));
        Files.writeString(file, text);
        return file;
    }

    public Tap tap() {
        return tap;
    }

    public Archiver archiver() {
        return archiver;
    }

    public Path archiveDir() {
        return dir.resolve("archive");
    }

    /** How often the archiver writes what it buffered: the longest a point waits to be archived, about. */
    public Duration commitInterval() {
        return commitInterval;
    }

    public Path tapConfig() {
        return tapConfig;
    }

    public Path archiverConfig() {
        return archiverConfig;
    }

    /** Points Kafka acknowledged to the tap. */
    public long pointsInKafka() {
        return (long) tap.metrics().publishedCount();
    }

    /** Points the archiver wrote durably into parts. */
    public long pointsArchived() {
        return (long) archiverMetrics.get("rewind.archiver.points.archived").counter().count();
    }

    /** The archive's files (parts and segments) in storage, and their bytes. */
    public record ArchiveSize(long files, long bytes) {
    }

    /** What the archive holds in storage, as the restorer lists it: the topic's parts and segments. */
    public ArchiveSize archiveSize() throws IOException {
        try (Storage storage = Storages.open(archiveDir().toString());
                Stream<Storage.ObjectInfo> objects = storage.list(ArchiveLayout.VERSION + "/" + TOPIC + "/")) {
            long[] size = new long[2];
            objects.filter(o -> ArchiveLayout.parse(o.key()).isPresent()).forEach(o -> {
                size[0]++;
                size[1] += o.size();
            });
            return new ArchiveSize(size[0], size[1]);
        }
    }

    /** From the tap receiving a point to its part being durable, as the archiver measured it. */
    public record Delay(long points, double meanSeconds, double maxSeconds, double p99AtMostSeconds) {
    }

    public Delay delay() {
        HistogramSnapshot snapshot = archiverMetrics.get("rewind.archiver.durable.delay").summary().takeSnapshot();
        double p99 = Double.NaN;
        for (CountAtBucket bucket : snapshot.histogramCounts()) {
            if (bucket.count() >= 0.99 * snapshot.count()) {
                p99 = bucket.bucket();
                break;
            }
        }
        return new Delay(snapshot.count(), snapshot.mean(), snapshot.max(), p99);
    }

    /** Stops the tap (its points flushed to Kafka), then the archiver (what it buffered committed). */
    @Override
    public void close() {
        tap.close();
        archiver.close();
    }
}
