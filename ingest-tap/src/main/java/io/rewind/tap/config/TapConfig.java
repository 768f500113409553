package io.rewind.tap.config;

import io.rewind.service.config.Parsers;
import io.rewind.service.config.SchemaRegistrySettings;
import io.rewind.service.config.Setting;
import io.rewind.service.config.Settings;
import io.rewind.service.config.Usage;
import io.rewind.service.tls.ServerTls;
import io.rewind.service.tls.TlsSettings;
import io.rewind.tap.delivery.DeliverySettings;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The tap's configuration: every setting with its key, default and meaning in one place
 * ({@link #SETTINGS}), read from file, environment ({@code REWIND_TAP_*}) and flags, validated at start
 * with every problem listed. Kafka producer settings pass through as {@code kafka.*}.
 */
public record TapConfig(String listenHost, int listenPort, List<InetSocketAddress> upstreams, String bootstrapServers, String topic,
        Durability durability, Path spoolDir, long spoolMaxBytes, DeliverySettings.FullPolicy spoolFullPolicy, boolean spoolAllowTmpfs,
        String gapsTopic, int gapsMaxMetricsPerHour, long ackTimeoutMs,
        long windowBytes, int maxConnections, long idleTimeoutMs, int maxLineBytes, int maxBodyBytes, int maxTags,
        long upstreamConnectTimeoutMs, long upstreamHealthIntervalMs, String tapId, String adminHost, int adminPort,
        Optional<URI> schemaRegistryUrl, Optional<String> schemaRegistryUserInfo, Map<String, String> kafka, ServerTls.Settings tls,
        ServerTls.Settings adminTls) {

    /** When a telnet point counts as safe: once handed to the producer, or once fsync'ed to the spool. */
    public enum Durability {
        ASYNC, WAL
    }

    static final Setting<String> LISTEN_HOST = new Setting<>("listen.host", "0.0.0.0", "Address the tap listens on for clients.", Parsers.text());
    static final Setting<Integer> LISTEN_PORT = new Setting<>("listen.port", "4242",
            "Port for telnet and HTTP alike, as a TSD's; 0 picks a free port.", Parsers.port());
    static final Setting<String> UPSTREAMS = new Setting<>("upstreams", "",
            "The TSDs to forward to, host:port,host:port (round-robin per connection, health-checked). Empty: standalone, the tap answers like a TSD itself.",
            t -> t.trim());
    static final Setting<String> BOOTSTRAP = new Setting<>("bootstrap.servers", null, "The Kafka cluster to copy points to, host:port,...", Parsers.text());
    static final Setting<String> TOPIC = new Setting<>("topic", "points", "The topic points go to (it must exist).", Parsers.text());
    static final Setting<Durability> DURABILITY = new Setting<>("durability", "async",
            "async: a telnet point is forwarded at once and published within milliseconds; wal: it is fsync'ed to the spool first (group commit).",
            Parsers.oneOf(Durability.class));
    static final Setting<String> SPOOL_DIR = new Setting<>("spool.dir", System.getProperty("user.home") + "/.local/state/rewind/tap-spool",
            "Directory of the disk spool that holds points while Kafka is unreachable or slow, and of the gaps file; on a disk that survives a"
                    + " reboot (a tmpfs is refused).", Parsers.text());
    static final Setting<Boolean> SPOOL_ALLOW_TMPFS = new Setting<>("spool.allow.tmpfs", "false",
            "Allow spool.dir on a tmpfs or ramfs: a reboot then loses the points the tap acknowledged and spooled, and the gaps it recorded.",
            Parsers.bool());
    static final Setting<Long> SPOOL_MAX = new Setting<>("spool.max.bytes", "1GiB", "Most bytes the spool may hold.",
            Parsers.bytes(1 << 20, 1L << 50));
    static final Setting<DeliverySettings.FullPolicy> SPOOL_FULL = new Setting<>("spool.full.policy", "pass-through",
            "When the spool is full: pass-through keeps forwarding to the TSDs and records each metric-hour the backup missed as a gap"
                    + " (rewind heal takes them from HBase); block stops reading from clients until there is room, which holds back"
                    + " production's writes for as long as Kafka is away.",
            Parsers.oneOf(DeliverySettings.FullPolicy.class));
    static final Setting<String> GAPS_TOPIC = new Setting<>("gaps.topic", "",
            "The compacted topic the tap publishes its gaps to, and the archiver keeps in the archive; default <topic>-gaps"
                    + " (the archiver creates it).", t -> t.trim());
    static final Setting<Integer> GAPS_MAX_METRICS = new Setting<>("gaps.max.metrics.per.hour", "1000",
            "Most metrics a gap names for one hour; past it the hour's gap covers every metric (heal then reads every metric of that hour).",
            Parsers.integer(1, 1_000_000));
    static final Setting<Long> ACK_TIMEOUT = new Setting<>("ack.timeout.ms", "10s",
            "How long an HTTP put waits for its points to be in Kafka or the spool before the client gets 503 instead of the TSD's 2xx.",
            Parsers.millis(Duration.ofMillis(100), Duration.ofMinutes(10)));
    static final Setting<Long> WINDOW = new Setting<>("delivery.window.max.bytes", "8MiB",
            "Most bytes of points handed to the producer and not yet acknowledged; past it, points go to the spool. Bounds what a crash can lose with durability=async.",
            Parsers.bytes(64 << 10, 1L << 30));
    static final Setting<Integer> MAX_CONNECTIONS = new Setting<>("max.connections", "10000", "Most client connections at once; more are closed at once.",
            Parsers.integer(1, 1_000_000));
    static final Setting<Long> IDLE_TIMEOUT = new Setting<>("idle.timeout.ms", "5m", "A client connection idle this long is closed; 0 never.",
            Parsers.millis(Duration.ZERO, Duration.ofDays(1)));
    static final Setting<Integer> MAX_LINE = new Setting<>("max.line.bytes", "1024", "Longest telnet line (OpenTSDB's limit is 1024).",
            Parsers.integer(64, 1 << 20));
    static final Setting<Long> MAX_BODY = new Setting<>("http.max.body.bytes", "32MiB", "Largest HTTP request body, compressed and inflated alike; larger gets 413.",
            Parsers.bytes(1 << 10, 1L << 30));
    static final Setting<Integer> MAX_TAGS = new Setting<>("max.tags", "8", "OpenTSDB's tsd.storage.max_tags of the upstream TSDs.", Parsers.integer(1, 255));
    static final Setting<Long> CONNECT_TIMEOUT = new Setting<>("upstream.connect.timeout.ms", "5s", "Connect timeout to an upstream TSD.",
            Parsers.millis(Duration.ofMillis(100), Duration.ofMinutes(5)));
    static final Setting<Long> HEALTH_INTERVAL = new Setting<>("upstream.health.interval.ms", "5s", "How often each upstream TSD is checked.",
            Parsers.millis(Duration.ofMillis(100), Duration.ofMinutes(10)));
    static final Setting<String> TAP_ID = new Setting<>("tap.id", "",
            "This tap's name in the X-Rewind-Tap header that detects a request looping back to it; default a random id.", t -> t.trim());
    static final Setting<String> ADMIN_HOST = new Setting<>("admin.host", "0.0.0.0", "Address of the admin port.", Parsers.text());
    static final Setting<Integer> ADMIN_PORT = new Setting<>("admin.port", "9472", "Admin port: /metrics, /healthz, /readyz; 0 picks a free port.",
            Parsers.port());

    public static final List<Setting<?>> SETTINGS = Settings.concat(List.of(LISTEN_HOST, LISTEN_PORT, UPSTREAMS, BOOTSTRAP, TOPIC,
            DURABILITY, SPOOL_DIR, SPOOL_MAX, SPOOL_FULL, SPOOL_ALLOW_TMPFS, GAPS_TOPIC, GAPS_MAX_METRICS, ACK_TIMEOUT, WINDOW, MAX_CONNECTIONS, IDLE_TIMEOUT, MAX_LINE, MAX_BODY, MAX_TAGS,
            CONNECT_TIMEOUT, HEALTH_INTERVAL, TAP_ID), TlsSettings.TAP.settings(), List.of(ADMIN_HOST, ADMIN_PORT),
            TlsSettings.ADMIN.settings(), List.of(SchemaRegistrySettings.URL, SchemaRegistrySettings.USER_INFO));

    /** {@code bin/rewind tap --help}: every setting, from {@link #SETTINGS}. */
    public static String help() {
        return Usage.help("tap", "ingest-tap: in front of OpenTSDB TSDs, speaks their telnet and HTTP put protocols on one port,"
                + " forwards every request\nunchanged and copies every point into a Kafka topic.", "REWIND_TAP_", SETTINGS,
                List.of("kafka.KEY=VALUE: a Kafka producer setting (kafka.security.protocol=SASL_SSL, kafka.sasl.jaas.config=...);"
                        + " kafka.enable.idempotence\n      and kafka.acks cannot be weakened."));
    }

    public boolean standalone() {
        return upstreams.isEmpty();
    }

    /** An upstream as the user wrote it, host:port, for logs (its own toString gives host/<unresolved>:port). */
    public static String hostPort(InetSocketAddress address) {
        return address.getHostString() + ":" + address.getPort();
    }

    /** Reads and validates every setting; throws {@link io.rewind.service.config.ConfigException} listing every problem. */
    public static TapConfig from(Settings s) {
        List<InetSocketAddress> upstreams = new ArrayList<>();
        String upstreamText = s.get(UPSTREAMS);
        if (!upstreamText.isEmpty()) {
            for (String part : upstreamText.split(",")) {
                String hostPort = part.trim();
                int colon = hostPort.lastIndexOf(':');
                try {
                    int port = Integer.parseInt(hostPort.substring(colon + 1));
                    if (colon <= 0 || port < 1 || port > 65535) {
                        throw new NumberFormatException();
                    }
                    upstreams.add(InetSocketAddress.createUnresolved(hostPort.substring(0, colon), port));
                } catch (RuntimeException e) {
                    s.problem("The 'upstreams' value '" + upstreamText + "' is invalid: '" + hostPort + "' is not host:port");
                }
            }
        }
        Map<String, String> kafka = new LinkedHashMap<>(s.withPrefix("kafka."));
        for (String fixed : List.of(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, ProducerConfig.ACKS_CONFIG)) {
            String value = kafka.get(fixed);
            if (value != null && !value.equals(fixed.equals(ProducerConfig.ACKS_CONFIG) ? "all" : "true")
                    && !(fixed.equals(ProducerConfig.ACKS_CONFIG) && value.equals("-1"))) {
                s.problem("The 'kafka." + fixed + "' value '" + value + "' is invalid: the tap always uses an idempotent producer with acks=all"
                        + " (guarantee 1: what the tap acknowledged is never lost)");
            }
        }
        String tapId = s.get(TAP_ID);
        Long maxBody = s.get(MAX_BODY);
        ServerTls.Settings tls = TlsSettings.TAP.read(s);
        ServerTls.Settings adminTls = TlsSettings.ADMIN.read(s);
        TapConfig config = new TapConfig(s.get(LISTEN_HOST), s.get(LISTEN_PORT), List.copyOf(upstreams), s.get(BOOTSTRAP), s.get(TOPIC),
                s.get(DURABILITY), Path.of(s.get(SPOOL_DIR)), s.get(SPOOL_MAX), s.get(SPOOL_FULL), s.get(SPOOL_ALLOW_TMPFS),
                s.get(GAPS_TOPIC).isEmpty() ? s.get(TOPIC) + "-gaps" : s.get(GAPS_TOPIC), s.get(GAPS_MAX_METRICS), s.get(ACK_TIMEOUT), s.get(WINDOW),
                s.get(MAX_CONNECTIONS), s.get(IDLE_TIMEOUT), s.get(MAX_LINE), maxBody == null ? 0 : (int) Math.min(maxBody, Integer.MAX_VALUE),
                s.get(MAX_TAGS), s.get(CONNECT_TIMEOUT), s.get(HEALTH_INTERVAL),
                tapId.isEmpty() ? "tap-" + UUID.randomUUID().toString().substring(0, 8) : tapId, s.get(ADMIN_HOST), s.get(ADMIN_PORT),
                s.get(SchemaRegistrySettings.URL), s.get(SchemaRegistrySettings.USER_INFO), kafka, tls, adminTls);
        s.check();
        return config;
    }

    /**
     * The settings of a tap on this machine, for tests, benchmarks and the quickstart: loopback, free
     * client and admin ports, the spool in {@code spoolDir}; {@code upstreams} empty for standalone.
     * Returned mutable, to add to.
     */
    public static Map<String, String> localSettings(String bootstrapServers, String topic, Path spoolDir, String upstreams) {
        Map<String, String> s = new LinkedHashMap<>();
        s.put(BOOTSTRAP.key(), bootstrapServers);
        s.put(TOPIC.key(), topic);
        s.put(LISTEN_HOST.key(), "127.0.0.1");
        s.put(LISTEN_PORT.key(), "0");
        s.put(ADMIN_PORT.key(), "0");
        s.put(SPOOL_DIR.key(), spoolDir.toString());
        s.put(UPSTREAMS.key(), upstreams);
        return s;
    }

    /** A config with the defaults and the given settings (same keys as the file), for tests, benchmarks and the quickstart. */
    public static TapConfig of(Map<String, String> settings) {
        return from(Settings.fromMap("tap", settings));
    }

    /** What the delivery to Kafka needs of this configuration. */
    public DeliverySettings delivery() {
        return new DeliverySettings(topic, gapsTopic, windowBytes, spoolFullPolicy, durability == Durability.WAL, producerProperties(),
                awaitedProducerProperties());
    }

    /** The producers' {@code linger.ms} unless {@code kafka.linger.ms} is set: telnet points and the spool drain; HTTP puts. */
    static final int TELNET_LINGER_MS = 25;
    static final int AWAITED_LINGER_MS = 5;

    /**
     * The settings of the producer for telnet points and the spool drain: idempotent, acks=all, lz4, a 25 ms linger, and a
     * delivery timeout with no practical end, so a record handed to the producer reaches Kafka exactly once however long
     * Kafka is away (the window bounds how many are in it); then every {@code kafka.*} setting. The linger makes a produce
     * request carry 25 ms of points: at 250,000 points a second, 5 ms made batches of about 300 records per partition,
     * and the producer's and the broker's work per request cost more than the tap's work per point
     * ({@code bin/rewind bench tap}, the paced run).
     */
    public Properties producerProperties() {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ProducerConfig.CLIENT_ID_CONFIG, "rewind-" + tapId);
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        props.put(ProducerConfig.LINGER_MS_CONFIG, Integer.toString(TELNET_LINGER_MS));
        props.put(ProducerConfig.BATCH_SIZE_CONFIG, Integer.toString(256 << 10));
        props.put(ProducerConfig.BUFFER_MEMORY_CONFIG, Long.toString(Math.max(64L << 20, windowBytes * 3)));
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, Integer.toString(Integer.MAX_VALUE));
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "10000");
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        props.putAll(kafka);
        return props;
    }

    /**
     * The settings of the producer for points whose client waits for them (HTTP puts): the same, with a
     * client id of its own and a 5 ms linger (unless {@code kafka.linger.ms} says otherwise). The publisher flushes it as soon as the requests queued are in it (group
     * commit), so no request waits for the linger; the linger only keeps the producer from sending a
     * request's points a few at a time while they are being handed to it.
     */
    public Properties awaitedProducerProperties() {
        Properties props = producerProperties();
        props.put(ProducerConfig.CLIENT_ID_CONFIG, "rewind-" + tapId + "-awaited");
        if (!kafka.containsKey(ProducerConfig.LINGER_MS_CONFIG)) {
            props.put(ProducerConfig.LINGER_MS_CONFIG, Integer.toString(AWAITED_LINGER_MS));
        }
        return props;
    }
}
