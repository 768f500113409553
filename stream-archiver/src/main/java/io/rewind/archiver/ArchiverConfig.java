package io.rewind.archiver;

import io.rewind.service.config.Parsers;
import io.rewind.service.config.SchemaRegistrySettings;
import io.rewind.service.config.Setting;
import io.rewind.service.config.Settings;
import io.rewind.service.config.Usage;
import io.rewind.service.tls.ServerTls;
import io.rewind.service.tls.TlsSettings;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.StreamsConfig;

/**
 * The archiver's configuration: every setting with its key, default and meaning in one place
 * ({@link #SETTINGS}), read from file, environment ({@code REWIND_ARCHIVER_*}) and flags, validated
 * at start with every problem listed. Kafka Streams settings pass through as {@code kafka.*}.
 */
public record ArchiverConfig(String bootstrapServers, String applicationId, String topic, String catalogTopic, String gapsTopic, String storage,
        Path stateDir, long windowSizeMs, long graceMs, long commitIntervalMs, long bufferMaxBytes, long pastBoundMs,
        long futureBoundMs, long deleteDelayMs, long retentionMs, long compactionCheckMs, int compactionThreads,
        long storageRetryTimeoutMs, int streamThreads, String adminHost, int adminPort, Optional<URI> schemaRegistryUrl,
        Optional<String> schemaRegistryUserInfo, short catalogReplication, Map<String, String> kafka, Optional<Path> keyset,
        ServerTls.Settings adminTls) {

    private static final long DAY = Duration.ofDays(1).toMillis();
    static final Setting<String> BOOTSTRAP = new Setting<>("bootstrap.servers", null, "The Kafka cluster the points topic is in, host:port,...", Parsers.text());
    static final Setting<String> APPLICATION_ID = new Setting<>("application.id", "rewind-archiver",
            "Kafka Streams application id: the consumer group, the prefix of internal topics and transactional ids. Instances with the same id share the work.", Parsers.text());
    static final Setting<String> TOPIC = new Setting<>("topic", "points", "The topic the tap writes points to.", Parsers.text());
    static final Setting<String> CATALOG_TOPIC = new Setting<>("catalog.topic", "", "The compacted topic that records every file the archiver commits; default <topic>-catalog.", t -> t.trim());
    static final Setting<String> GAPS_TOPIC = new Setting<>("gaps.topic", "",
            "The compacted topic the taps publish their gaps to (points let through without backup), kept in the archive for rewind heal;"
                    + " default <topic>-gaps, created when missing.", t -> t.trim());
    static final Setting<String> STORAGE = new Setting<>("storage", null,
            "Where the archive is: a directory (/var/lib/rewind, file:///var/lib/rewind) or s3://bucket/prefix?endpoint=...&region=...&path-style=true.", Parsers.text());
    static final Setting<Optional<String>> KEYSET = new Setting<>("keyset", "",
            "A keyset file (rewind keys create): every file is encrypted with its primary key before it is stored; empty: the"
                    + " file the REWIND_KEYSET environment variable names, or none (files stored in clear).", Parsers.optional(text -> text));
    static final Setting<String> STATE_DIR = new Setting<>("state.dir", System.getProperty("java.io.tmpdir") + "/rewind-archiver",
            "Local working directory: Kafka Streams state and the files being written.", Parsers.text());
    static final Setting<Long> WINDOW = new Setting<>("window.size.ms", "1h", "Event-time size of a window: one segment per window and partition; divides a day.",
            Parsers.millis(Duration.ofMinutes(1), Duration.ofDays(1)));
    static final Setting<Long> GRACE = new Setting<>("grace.ms", "10m", "How long after its end a window stays open before its parts are compacted.",
            Parsers.millis(Duration.ZERO, Duration.ofDays(7)));
    static final Setting<Long> COMMIT = new Setting<>("commit.interval.ms", "30s",
            "How often the buffered points are written as parts and the input offsets committed: the storage tier's recovery point objective.",
            Parsers.millis(Duration.ofMillis(100), Duration.ofMinutes(10)));
    static final Setting<Long> BUFFER = new Setting<>("buffer.max.bytes", "256MiB",
            "When the points buffered by this instance pass this size, it commits early, so memory stays bounded at any rate.",
            Parsers.bytes(1 << 20, 1L << 40));
    static final Setting<Long> PAST_BOUND = new Setting<>("late.bound.ms", "1h",
            "A point whose event time is this much before its ingest time is counted as late (it is archived all the same, into its window).",
            Parsers.millis(Duration.ZERO, Duration.ofDays(36_500)));
    static final Setting<Long> FUTURE_BOUND = new Setting<>("future.bound.ms", "1h",
            "A point whose event time is this much after its ingest time is counted as future (it is archived all the same, into its window).",
            Parsers.millis(Duration.ZERO, Duration.ofDays(36_500)));
    static final Setting<Long> DELETE_DELAY = new Setting<>("compaction.delete.delay.ms", "10m",
            "How long superseded parts stay in storage after their segment is recorded, for readers that listed them.",
            Parsers.millis(Duration.ZERO, Duration.ofDays(30)));
    static final Setting<Long> RETENTION = new Setting<>("retention.ms", "0",
            "Delete segments whose window ended more than this long ago; 0 keeps everything.", Parsers.millis(Duration.ZERO, Duration.ofDays(36_500)));
    static final Setting<Long> COMPACTION_CHECK = new Setting<>("compaction.check.interval.ms", "5s",
            "How often each task looks for closed windows to compact and superseded files to delete.",
            Parsers.millis(Duration.ofMillis(100), Duration.ofMinutes(10)));
    static final Setting<Integer> COMPACTION_THREADS = new Setting<>("compaction.threads", "1",
            "Threads that compact windows, off the stream threads.", Parsers.integer(1, 64));
    static final Setting<Long> STORAGE_RETRY = new Setting<>("storage.retry.timeout.ms", "60s",
            "How long a commit keeps retrying a failing storage before it gives up; the task then restarts from its last commit and nothing is lost.",
            Parsers.millis(Duration.ofSeconds(1), Duration.ofMinutes(10)));
    static final Setting<Integer> THREADS = new Setting<>("num.stream.threads", "1", "Kafka Streams threads of this instance.", Parsers.integer(1, 64));
    static final Setting<String> ADMIN_HOST = new Setting<>("admin.host", "0.0.0.0", "Address of the admin port.", Parsers.text());
    static final Setting<Integer> ADMIN_PORT = new Setting<>("admin.port", "9471", "Admin port: /metrics, /healthz, /readyz; 0 picks a free port.", Parsers.port());
    static final Setting<Integer> CATALOG_REPLICATION = new Setting<>("catalog.replication.factor", "-1",
            "Replication factor of the catalog topic when the archiver creates it; -1 takes the broker's default.", Parsers.integer(-1, 32));

    public static final List<Setting<?>> SETTINGS = Settings.concat(List.of(BOOTSTRAP, APPLICATION_ID, TOPIC, CATALOG_TOPIC, GAPS_TOPIC, STORAGE,
            KEYSET, STATE_DIR, WINDOW, GRACE, COMMIT, BUFFER, PAST_BOUND, FUTURE_BOUND, DELETE_DELAY, RETENTION, COMPACTION_CHECK,
            COMPACTION_THREADS, STORAGE_RETRY, THREADS, ADMIN_HOST, ADMIN_PORT), TlsSettings.ADMIN.settings(),
            List.of(SchemaRegistrySettings.URL, SchemaRegistrySettings.USER_INFO, CATALOG_REPLICATION));

    /** {@code bin/rewind archiver --help}: every setting, from {@link #SETTINGS}. */
    public static String help() {
        return Usage.help("archiver", "stream-archiver: a Kafka Streams application that turns the points topic into compact,"
                + " time-windowed Avro\nsegments on durable storage (a directory, S3), exactly once in effect, never dropping late points.",
                "REWIND_ARCHIVER_", SETTINGS, List.of("kafka.KEY=VALUE: passed to Kafka Streams and its clients (kafka.security.protocol,"
                        + " kafka.sasl.jaas.config, ...);\n      kafka.processing.guarantee can only be exactly_once_v2."));
    }

    /** Reads and validates every setting; throws {@link io.rewind.service.config.ConfigException} listing every problem. */
    public static ArchiverConfig from(Settings s) {
        String topic = s.get(TOPIC);
        String catalog = s.get(CATALOG_TOPIC);
        Long window = s.get(WINDOW);
        if (window != null && DAY % window != 0) {
            s.problem("The 'window.size.ms' value " + window + " is invalid: it must divide a day (e.g. 1m, 5m, 15m, 1h, 6h, 1d)");
        }
        Map<String, String> kafka = new LinkedHashMap<>(s.withPrefix("kafka."));
        String guarantee = kafka.get(StreamsConfig.PROCESSING_GUARANTEE_CONFIG);
        if (guarantee != null && !guarantee.equals(StreamsConfig.EXACTLY_ONCE_V2)) {
            s.problem("The 'kafka.processing.guarantee' value '" + guarantee + "' is invalid: the archiver runs exactly_once_v2 only"
                    + " (guarantee 2: points archived effectively once)");
        }
        ServerTls.Settings adminTls = TlsSettings.ADMIN.read(s);
        ArchiverConfig config = new ArchiverConfig(s.get(BOOTSTRAP), s.get(APPLICATION_ID), topic,
                catalog == null || catalog.isEmpty() ? topic + "-catalog" : catalog,
                s.get(GAPS_TOPIC) == null || s.get(GAPS_TOPIC).isEmpty() ? topic + "-gaps" : s.get(GAPS_TOPIC), s.get(STORAGE), Path.of(s.get(STATE_DIR)),
                window == null ? 0 : window, s.get(GRACE), s.get(COMMIT), s.get(BUFFER), s.get(PAST_BOUND), s.get(FUTURE_BOUND),
                s.get(DELETE_DELAY), s.get(RETENTION), s.get(COMPACTION_CHECK), s.get(COMPACTION_THREADS), s.get(STORAGE_RETRY),
                s.get(THREADS), s.get(ADMIN_HOST), s.get(ADMIN_PORT), s.get(SchemaRegistrySettings.URL), s.get(SchemaRegistrySettings.USER_INFO),
                s.get(CATALOG_REPLICATION).shortValue(), kafka, s.get(KEYSET).map(Path::of), adminTls);
        s.check();
        return config;
    }

    /**
     * The settings of an archiver on this machine, for tests, benchmarks and the quickstart: {@code topic} into
     * {@code storage}, hour windows, parts every {@code commitInterval}, a free admin port. Returned mutable, to add to.
     */
    public static Map<String, String> localSettings(String bootstrapServers, String topic, String storage, Path stateDir,
            Duration commitInterval) {
        Map<String, String> s = new LinkedHashMap<>();
        s.put(BOOTSTRAP.key(), bootstrapServers);
        s.put(APPLICATION_ID.key(), "rewind-archiver");
        s.put(TOPIC.key(), topic);
        s.put(STORAGE.key(), storage);
        s.put(STATE_DIR.key(), stateDir.toString());
        s.put(COMMIT.key(), commitInterval.toMillis() + "ms");
        s.put(WINDOW.key(), "1h");
        s.put(ADMIN_PORT.key(), "0");
        return s;
    }

    /** A config with the defaults and the given settings (same keys as the file), for tests and the quickstart. */
    public static ArchiverConfig of(Map<String, String> settings) {
        return from(Settings.fromMap("archiver", settings));
    }

    /**
     * Kafka Streams' settings: exactly_once_v2, the commit interval, and a transaction timeout longer
     * than a commit interval plus the storage retries, since a transaction can stay open that long;
     * then every {@code kafka.*} setting, which wins.
     */
    public Properties streamsProperties() {
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, commitIntervalMs);
        p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, streamThreads);
        p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.resolve("streams").toString());
        p.put(StreamsConfig.producerPrefix(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG),
                (int) Math.min(Integer.MAX_VALUE, commitIntervalMs + storageRetryTimeoutMs + 60_000));
        p.put(StreamsConfig.producerPrefix(ProducerConfig.COMPRESSION_TYPE_CONFIG), "zstd");
        p.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG, true);
        p.put(StreamsConfig.consumerPrefix(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG),
                (int) Math.max(300_000, 2 * storageRetryTimeoutMs + 60_000));
        p.putAll(kafka);
        return p;
    }
}
