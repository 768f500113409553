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
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.TopicExistsException;

/**
 * A real Apache Kafka broker in KRaft mode (one combined broker and controller) in its own JVM: the
 * Kafka distribution's {@code kafka.Kafka} main after {@code kafka.tools.StorageTool format}, as an
 * operator would run it. Its ports stay the same across {@link #stop()} and {@link #start()}, so
 * clients reconnect after a broker outage.
 */
public final class KafkaBroker extends DevServer {
    private static final String MAIN = "kafka.Kafka";
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(90);

    private final int port;
    private final int controllerPort;

    KafkaBroker(Path dir, boolean watched) {
        super(dir, watched, Duration.ofSeconds(60));
        this.port = Ports.free();
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

    /** Formats the log directory on first start, starts the broker and waits until it serves requests. */
    public synchronized void start() throws IOException {
        if (process != null && process.isAlive()) {
            return;
        }
        Path config = writeConfig();
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

    private Path writeConfig() {
        Properties props = new Properties();
        props.setProperty("process.roles", "broker,controller");
        props.setProperty("node.id", "1");
        props.setProperty("controller.quorum.bootstrap.servers", "127.0.0.1:" + controllerPort);
        props.setProperty("listeners", "PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort);
        props.setProperty("advertised.listeners", "PLAINTEXT://127.0.0.1:" + port);
        props.setProperty("controller.listener.names", "CONTROLLER");
        props.setProperty("inter.broker.listener.name", "PLAINTEXT");
        props.setProperty("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
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
