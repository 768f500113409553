package io.rewind.devstack;

import io.rewind.devstack.process.JavaProcess;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.stream.Stream;

/**
 * Real servers for Rewind to run against, without Docker: one Kafka broker (KRaft), one HBase, and
 * one or more OpenTSDB 2.4.1 TSDs sharing that HBase under their own table prefixes. Every server runs
 * in its own JVM with its own classpath, on free loopback ports, with all data and logs under one
 * directory. Used by the integration tests, the benchmarks, {@code rewind dev up} and the quickstart.
 */
public final class DevStack implements AutoCloseable {
    private final Path dir;
    private final KafkaBroker kafka;
    private final HBaseServer hbase;
    private final Map<String, Tsd> tsds;
    private final boolean watched;
    private S3Server s3;

    private DevStack(Path dir, KafkaBroker kafka, HBaseServer hbase, Map<String, Tsd> tsds, boolean watched) {
        this.dir = dir;
        this.watched = watched;
        this.kafka = kafka;
        this.hbase = hbase;
        this.tsds = tsds;
    }

    /**
     * Starts a fresh stack in {@code dir}, deleting what an earlier stack left there.
     *
     * @param tsdNames one TSD per name; each gets the table prefix {@code <name>-}
     * @param watched  true: the servers end when this JVM ends (tests); false: they outlive it ({@code dev up})
     */
    public static DevStack start(Path dir, List<String> tsdNames, boolean watched) throws IOException {
        deleteRecursively(dir);
        Files.createDirectories(dir);
        KafkaBroker kafka = new KafkaBroker(dir.resolve("kafka"), watched);
        HBaseServer hbase = new HBaseServer(dir.resolve("hbase"), watched);
        Map<String, Tsd> tsds = new LinkedHashMap<>();
        for (String name : tsdNames) {
            tsds.put(name, new Tsd(name, dir.resolve("tsd-" + name), hbase.zookeeperQuorum(), watched, Map.of()));
        }
        DevStack stack = new DevStack(dir, kafka, hbase, tsds, watched);
        try {
            // Kafka and HBase start side by side; the TSDs need HBase and their tables.
            CompletableFuture<Void> kafkaUp = CompletableFuture.runAsync(() -> unchecked(kafka::start));
            hbase.start();
            hbase.createTsdTables(tsds.values().stream().map(Tsd::tablePrefix).toList());
            List<CompletableFuture<Void>> tsdsUp = tsds.values().stream()
                    .map(tsd -> CompletableFuture.runAsync(() -> unchecked(tsd::start))).toList();
            kafkaUp.join();
            tsdsUp.forEach(CompletableFuture::join);
        } catch (CompletionException e) {
            stack.close();
            throw e.getCause() instanceof RuntimeException cause ? cause : e;
        } catch (RuntimeException | IOException e) {
            stack.close();
            throw e;
        }
        return stack;
    }

    public Path dir() {
        return dir;
    }

    public KafkaBroker kafka() {
        return kafka;
    }

    public HBaseServer hbase() {
        return hbase;
    }

    /**
     * The TSD of that name, started on its own tables with these OpenTSDB settings on top of the dev
     * stack's (e.g. {@code tsd.core.auto_create_metrics=false}) if it does not run yet. Stopped with the stack.
     */
    public synchronized Tsd tsd(String name, Map<String, String> settings) throws IOException {
        Tsd running = tsds.get(name);
        if (running != null) {
            return running;
        }
        Tsd tsd = new Tsd(name, dir.resolve("tsd-" + name), hbase.zookeeperQuorum(), watched, settings);
        hbase.createTsdTables(List.of(tsd.tablePrefix()), tsd.rollupTables());
        tsds.put(name, tsd);
        tsd.start();
        return tsd;
    }

    /** The stack's S3 API server, started on first use. Stopped with the stack. */
    public synchronized S3Server s3() throws IOException {
        if (s3 == null) {
            s3 = new S3Server(dir.resolve("s3"), watched);
            s3.start();
        }
        return s3;
    }

    /** The TSD of that name; fails naming the TSDs there are. */
    public synchronized Tsd tsd(String name) {
        Tsd tsd = tsds.get(name);
        if (tsd == null) {
            throw new IllegalArgumentException("No TSD named '" + name + "' in this dev stack; there are " + tsds.keySet());
        }
        return tsd;
    }

    public synchronized List<Tsd> tsds() {
        return List.copyOf(tsds.values());
    }

    /** Every server process, in start order. */
    synchronized List<JavaProcess> processes() {
        List<JavaProcess> all = new ArrayList<>();
        all.add(kafka.process());
        all.add(hbase.process());
        tsds.values().forEach(tsd -> all.add(tsd.process()));
        if (s3 != null) {
            all.add(s3.process());
        }
        return all;
    }

    /** The endpoints, one per line, for people. */
    public synchronized String describe() {
        StringBuilder out = new StringBuilder();
        out.append(String.format("%-22s %s%n", "Kafka bootstrap", kafka.bootstrapServers()));
        out.append(String.format("%-22s %s%n", "Kafka SASL_SSL", kafka.describeSecure()));
        out.append(String.format("%-22s %s%n", "HBase ZooKeeper", hbase.zookeeperQuorum()));
        for (Tsd tsd : tsds.values()) {
            out.append(String.format("%-22s %s  (telnet: 127.0.0.1 %d; tables %stsdb*)%n",
                    "OpenTSDB " + tsd.name(), tsd.httpUrl(), tsd.port(), tsd.tablePrefix()));
        }
        out.append(String.format("%-22s %s%n", "Data and logs", dir));
        return out.toString();
    }

    /** Stops the TSDs, then HBase, then Kafka. */
    @Override
    public synchronized void close() {
        tsds.values().forEach(Tsd::stop);
        if (s3 != null) {
            s3.stop();
        }
        hbase.stop();
        kafka.stop();
    }

    private interface IoAction {
        void run() throws IOException;
    }

    private static void unchecked(IoAction action) {
        try {
            action.run();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Deletes a directory and everything in it; nothing when it does not exist. */
    public static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }
}
