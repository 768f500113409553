package io.rewind.devstack;

import io.rewind.devstack.process.Await;
import io.rewind.devstack.process.JavaProcess;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.TopicExistsException;

/**
 * A real Apache Kafka broker in KRaft mode (one combined broker and controller) in its own JVM: the
 * Kafka distribution's {@code kafka.Kafka} main after {@code kafka.tools.StorageTool format}, as an
 * operator would run it. Its ports stay the same across {@link #stop()} and {@link #start()}, so
 * clients reconnect after a broker outage.
 *
 * <p>Besides its plaintext listener it has a second one as a secured production cluster would: SASL_SSL, TLS with a
 * certificate of its own CA (made by {@link Certificates} at first start) and SASL/SCRAM-SHA-512 with one user. Clients
 * reach it with {@link #secureBootstrapServers()} and the client settings of {@link #secureClientSettings()}.
 */
public final class KafkaBroker extends DevServer {
    private static final String MAIN = "kafka.Kafka";
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(90);

    /** The SCRAM user of the SASL_SSL listener. */
    public static final String SCRAM_USER = "rewind";
    private static final String SCRAM_PASSWORD = "rewind-scram-secret";
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(KafkaBroker.class);

    private final int port;
    private final int securePort;
    private final int controllerPort;
    /** Why the SASL_SSL listener is not there (its certificates could not be made); null when it is. */
    private String insecureBecause;

    KafkaBroker(Path dir, boolean watched) {
        super(dir, watched, Duration.ofSeconds(60));
        this.port = Ports.free();
        this.securePort = Ports.free();
        this.controllerPort = Ports.free();
    }

    /** Starts a broker alone, for benchmarks that need Kafka and nothing else; {@code watched}: it dies with this JVM. */
    public static KafkaBroker startAlone(Path dir, boolean watched) throws IOException {
        KafkaBroker broker = new KafkaBroker(dir, watched);
        broker.start();
        return broker;
    }

    /** The address clients bootstrap from: {@code 127.0.0.1:<port>}. */
    public String bootstrapServers() {
        return "127.0.0.1:" + port;
    }

    /** The SASL_SSL listener's address: {@code 127.0.0.1:<port>}; with {@link #secureClientSettings()}. */
    public String secureBootstrapServers() {
        secureListener();
        return "127.0.0.1:" + securePort;
    }

    /**
     * The Kafka client settings that reach the SASL_SSL listener, as a user gives them to Rewind ({@code kafka.*}, {@code --kafka}):
     * {@code security.protocol}, the SCRAM mechanism and login, and the CA (PEM) the broker's certificate is checked against.
     */
    public Map<String, String> secureClientSettings() {
        secureListener();
        return Map.of(
                "security.protocol", "SASL_SSL",
                "sasl.mechanism", "SCRAM-SHA-512",
                "sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"" + SCRAM_USER
                        + "\" password=\"" + SCRAM_PASSWORD + "\";",
                "ssl.truststore.type", "PEM",
                "ssl.truststore.location", certificates().ca().toString());
    }

    /** The SASL_SSL listener and the client settings that reach it, for people; or why there is none. */
    public String describeSecure() {
        if (insecureBecause != null) {
            return "none: " + insecureBecause;
        }
        StringBuilder out = new StringBuilder(secureBootstrapServers());
        new java.util.TreeMap<>(secureClientSettings()).forEach((k, v) -> out.append(String.format("%n%-22s kafka.%s=%s", "", k, v)));
        return out.toString();
    }

    private void secureListener() {
        if (insecureBecause != null) {
            throw new IllegalStateException("The dev stack's Kafka has no SASL_SSL listener: " + insecureBecause);
        }
    }

    private Certificates certificates() {
        try {
            return new Certificates(dir.resolve("tls"), false);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Formats the log directory on first start, starts the broker and waits until it serves requests. */
    public synchronized void start() throws IOException {
        if (process != null && process.isAlive()) {
            return;
        }
        Certificates certificates = null;
        try {
            if (!Files.exists(dir.resolve("tls").resolve("broker.p12"))) {
                new Certificates(dir.resolve("tls")).issue("broker");
            }
            certificates = certificates();
            insecureBecause = null;
        } catch (IOException | UncheckedIOException e) {
            insecureBecause = e.getMessage();
            LOG.warn("The Kafka broker starts without its SASL_SSL listener: {}", e.getMessage());
        }
        Path config = writeConfig(certificates);
        Path logs = dir.resolve("logs");
        List<Path> classpath = ServerRuntime.classpath("kafka");
        if (!Files.exists(dir.resolve("data").resolve("meta.properties"))) {
            JavaProcess.run(new JavaProcess.Spec("kafka-storage-format", classpath, jvmOptions(),
                    "kafka.tools.StorageTool",
                    List.of("format", "-t", Uuid.randomUuid().toString(), "-c", config.toString(), "--standalone"),
                    dir, logs.resolve("kafka-format.log")), Duration.ofSeconds(60));
        }
        process = JavaProcess.start(new JavaProcess.Spec("kafka", classpath, jvmOptions(), MAIN,
                List.of(config.toString()), dir, logs.resolve("kafka.log")), watched);
        JavaProcess started = process;
        try (Admin admin = admin()) {
            Await.until("the Kafka broker at " + bootstrapServers(), READY_TIMEOUT, started::checkAlive,
                    () -> !admin.describeCluster().nodes().get().isEmpty());
            if (certificates != null) {
                admin.alterUserScramCredentials(List.of(new UserScramCredentialUpsertion(SCRAM_USER,
                        new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 8192), SCRAM_PASSWORD))).all().get();
            }
        } catch (ExecutionException e) {
            throw new IOException("Cannot create the SCRAM user of the Kafka broker at " + bootstrapServers() + ": " + e.getCause(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("Interrupted while starting Kafka", e);
        }
    }

    /** A Kafka admin client for this broker; the caller closes it. */
    public Admin admin() {
        return Admin.create(Map.of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers(),
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000));
    }

    /**
     * Creates a topic (if it does not exist) and waits until every partition has a leader, so the
     * first records produced to it are not refused.
     */
    public void createTopic(String name, int partitions, Map<String, String> configs) {
        try (Admin admin = admin()) {
            try {
                admin.createTopics(List.of(new NewTopic(name, partitions, (short) 1).configs(configs))).all().get();
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw new IllegalStateException("Cannot create topic " + name + ": " + e.getCause(), e.getCause());
                }
            }
            Await.until("leaders of all partitions of topic " + name, Duration.ofSeconds(60), process::checkAlive, () -> {
                TopicDescription topic = admin.describeTopics(Set.of(name)).allTopicNames().get().get(name);
                return topic.partitions().size() == partitions
                        && topic.partitions().stream().allMatch(p -> p.leader() != null && !p.leader().isEmpty());
            });
            // The metadata names a leader before the broker serves as one: a produce then gets NOT_LEADER_OR_FOLLOWER, and an
            // idempotent producer's next batches can be refused as out of sequence until they expire. A request the leader
            // itself answers (its log end offsets) says when it serves.
            Map<org.apache.kafka.common.TopicPartition, org.apache.kafka.clients.admin.OffsetSpec> ends = new java.util.HashMap<>();
            for (int p = 0; p < partitions; p++) {
                ends.put(new org.apache.kafka.common.TopicPartition(name, p), org.apache.kafka.clients.admin.OffsetSpec.latest());
            }
            Await.until("the leaders of topic " + name + " to serve", Duration.ofSeconds(60), process::checkAlive, () -> {
                try {
                    admin.listOffsets(ends).all().get();
                    return true;
                } catch (ExecutionException notYet) {
                    return false;
                }
            });
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while creating topic " + name, e);
        }
    }

    private Path writeConfig(Certificates certificates) {
        Properties props = new Properties();
        props.setProperty("process.roles", "broker,controller");
        props.setProperty("node.id", "1");
        props.setProperty("controller.quorum.bootstrap.servers", "127.0.0.1:" + controllerPort);
        String secure = certificates == null ? "" : ",SASL_SSL://127.0.0.1:" + securePort;
        props.setProperty("listeners", "PLAINTEXT://127.0.0.1:" + port + secure + ",CONTROLLER://127.0.0.1:" + controllerPort);
        props.setProperty("advertised.listeners", "PLAINTEXT://127.0.0.1:" + port + secure);
        props.setProperty("controller.listener.names", "CONTROLLER");
        props.setProperty("inter.broker.listener.name", "PLAINTEXT");
        props.setProperty("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,SASL_SSL:SASL_SSL,CONTROLLER:PLAINTEXT");
        if (certificates != null) {
            // The SASL_SSL listener: TLS with the broker's certificate, then SCRAM-SHA-512 (users are kept in the metadata log).
            props.setProperty("sasl.enabled.mechanisms", "SCRAM-SHA-512");
            props.setProperty("listener.name.sasl_ssl.sasl.enabled.mechanisms", "SCRAM-SHA-512");
            props.setProperty("listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config",
                    "org.apache.kafka.common.security.scram.ScramLoginModule required;");
            props.setProperty("listener.name.sasl_ssl.ssl.keystore.type", "PKCS12");
            props.setProperty("listener.name.sasl_ssl.ssl.keystore.location", certificates.store("broker").toString());
            props.setProperty("listener.name.sasl_ssl.ssl.keystore.password", Certificates.PASSWORD);
            props.setProperty("listener.name.sasl_ssl.ssl.key.password", Certificates.PASSWORD);
        }
        props.setProperty("log.dirs", dir.resolve("data").toString());
        props.setProperty("num.partitions", "1");
        // One broker: every internal topic has one replica.
        props.setProperty("offsets.topic.replication.factor", "1");
        props.setProperty("offsets.topic.num.partitions", "4");
        props.setProperty("transaction.state.log.replication.factor", "1");
        props.setProperty("transaction.state.log.min.isr", "1");
        props.setProperty("transaction.state.log.num.partitions", "4");
        props.setProperty("share.coordinator.state.topic.replication.factor", "1");
        props.setProperty("share.coordinator.state.topic.min.isr", "1");
        props.setProperty("group.initial.rebalance.delay.ms", "0");
        // Topics are created on purpose, with their partitions, never by a typo.
        props.setProperty("auto.create.topics.enable", "false");
        Path file = dir.resolve("server.properties");
        try {
            Files.createDirectories(dir);
            try (var out = Files.newBufferedWriter(file)) {
                props.store(out, "Rewind dev stack: Kafka broker (KRaft, combined broker and controller)");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return file;
    }

    private List<String> jvmOptions() {
        return List.of("-Xms256m", "-Xmx1g", "-XX:+UseG1GC", "-Djava.awt.headless=true",
                "-Dlogback.configurationFile=" + DevLogging.write(dir, "kafka", Map.of(
                        "kafka.server.KafkaRaftServer", "INFO", "kafka.server.BrokerServer", "INFO")));
    }

    @Override
    public String toString() {
        return "Kafka " + bootstrapServers();
    }
}
