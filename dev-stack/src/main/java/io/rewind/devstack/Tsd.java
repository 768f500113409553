package io.rewind.devstack;

import io.rewind.devstack.process.Await;
import io.rewind.devstack.process.JavaProcess;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A real OpenTSDB 2.4.1 TSD in its own JVM, storing into the dev stack's HBase under its own
 * table-name prefix, serving telnet and HTTP on one port like any TSD.
 */
public final class Tsd extends DevServer {
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(90);
    /** The tables {@link #rollupsAndHistograms} names after the TSD's prefix, which {@link #rollupTables} creates. */
    private static final String PREAGG_TABLE = "tsdb-preagg";
    private static final String ROLLUP_1H_TABLE = "tsdb-rollup-1h";
    private static final String PREAGG_1H_TABLE = "tsdb-rollup-preagg-1h";

    private final String name;
    private final String tablePrefix;
    private final String zookeeperQuorum;
    private final int port;
    private final Map<String, String> settings;

    /** @param settings OpenTSDB settings that replace or add to the dev stack's, e.g. {@code tsd.core.auto_create_metrics=false} */
    Tsd(String name, Path dir, String zookeeperQuorum, boolean watched, Map<String, String> settings) {
        super(dir, watched, Duration.ofSeconds(20));
        this.name = name;
        this.settings = Map.copyOf(settings);
        this.tablePrefix = name + "-";
        this.zookeeperQuorum = zookeeperQuorum;
        this.port = Ports.free();
    }

    public String name() {
        return name;
    }

    /**
     * OpenTSDB settings for a TSD named {@code name} that stores rollups and histograms: the raw table as the default
     * (1m) interval, one 1h rollup interval, each with its pre-aggregate table (all of the TSD's own tables, created
     * with it), and OpenTSDB's simple histogram codec as id 0.
     */
    public static Map<String, String> rollupsAndHistograms(String name) {
        String p = name + "-";
        String rollups = "{\"aggregationIds\":{\"sum\":0,\"count\":1,\"min\":2,\"max\":3},\"intervals\":["
                + "{\"interval\":\"1m\",\"table\":\"" + p + "tsdb\",\"preAggregationTable\":\"" + p + PREAGG_TABLE + "\","
                + "\"rowSpan\":\"1h\",\"defaultInterval\":true},"
                + "{\"interval\":\"1h\",\"table\":\"" + p + ROLLUP_1H_TABLE + "\",\"preAggregationTable\":\"" + p
                + PREAGG_1H_TABLE + "\",\"rowSpan\":\"1d\",\"defaultInterval\":false}]}";
        return Map.of("tsd.rollups.enable", "true", "tsd.rollups.config", rollups,
                "tsd.core.histograms.config", "{\"net.opentsdb.core.SimpleHistogramDecoder\": 0}");
    }

    /** The rollup and pre-aggregate tables this TSD's settings name besides its raw table. */
    List<String> rollupTables() {
        if (!"true".equals(settings.get("tsd.rollups.enable"))) {
            return List.of();
        }
        return List.of(tablePrefix + PREAGG_TABLE, tablePrefix + ROLLUP_1H_TABLE, tablePrefix + PREAGG_1H_TABLE);
    }

    /** The TSD's port, for telnet and HTTP alike. */
    public int port() {
        return port;
    }

    /** {@code http://127.0.0.1:<port>} */
    public URI httpUrl() {
        return URI.create("http://127.0.0.1:" + port);
    }

    /** Prefix of this TSD's HBase tables, e.g. {@code production-tsdb}. */
    public String tablePrefix() {
        return tablePrefix;
    }

    /** Starts the TSD and waits until {@code GET /api/version} answers 200. Its tables must exist. */
    public synchronized void start() throws IOException {
        Path config = writeConfig();
        process = JavaProcess.start(new JavaProcess.Spec("tsd-" + name, ServerRuntime.classpath("opentsdb"),
                List.of("-Xms128m", "-Xmx512m", "-XX:+UseG1GC", "-Djava.awt.headless=true",
                        "-Dlogback.configurationFile=" + DevLogging.write(dir, "opentsdb", Map.of(
                                "net.opentsdb.tools.TSDMain", "INFO",
                                // OpenTSDB logs every request and every failed put at INFO or WARN.
                                "QueryLog", "OFF", "net.opentsdb.tsd.HttpQuery", "ERROR",
                                "net.opentsdb.tsd.PutDataPointRpc", "ERROR", "net.opentsdb.tsd.ConnectionManager", "ERROR"))),
                "net.opentsdb.tools.TSDMain", List.of("--config=" + config), dir, dir.resolve("logs").resolve("tsd.log")), watched);
        JavaProcess started = process;
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        HttpRequest version = HttpRequest.newBuilder(httpUrl().resolve("/api/version")).timeout(Duration.ofSeconds(5)).build();
        Await.until("OpenTSDB TSD '" + name + "' at " + httpUrl(), READY_TIMEOUT, started::checkAlive,
                () -> http.send(version, HttpResponse.BodyHandlers.discarding()).statusCode() == 200);
    }

    private Path writeConfig() throws IOException {
        Path staticRoot = dir.resolve("static");
        Path cache = dir.resolve("cache");
        Files.createDirectories(staticRoot);
        Files.createDirectories(cache);
        Map<String, String> conf = new LinkedHashMap<>();
        conf.put("tsd.network.port", Integer.toString(port));
        conf.put("tsd.network.bind", "127.0.0.1");
        conf.put("tsd.http.staticroot", staticRoot.toString());
        conf.put("tsd.http.cachedir", cache.toString());
        conf.put("tsd.core.auto_create_metrics", "true");
        // Without chunked requests a TSD refuses every HTTP body over ~8 KB ("Chunked request not supported.").
        conf.put("tsd.http.request.enable_chunked", "true");
        conf.put("tsd.http.request.max_chunk", "67108864");
        conf.put("tsd.storage.hbase.zk_quorum", zookeeperQuorum);
        conf.put("tsd.storage.hbase.data_table", tablePrefix + "tsdb");
        conf.put("tsd.storage.hbase.uid_table", tablePrefix + "tsdb-uid");
        conf.put("tsd.storage.hbase.tree_table", tablePrefix + "tsdb-tree");
        conf.put("tsd.storage.hbase.meta_table", tablePrefix + "tsdb-meta");
        // Read by asynchbase: its 1000 ms default makes ?sync take a second and fresh points invisible for one.
        conf.put("hbase.rpcs.buffered_flush_interval", "20");
        conf.putAll(settings);
        StringBuilder text = new StringBuilder("# Rewind dev stack: OpenTSDB TSD '" + name + "'\n");
        conf.forEach((key, value) -> text.append(key).append(" = ").append(value).append('\n'));
        Path file = dir.resolve("opentsdb.conf");
        Files.writeString(file, text);
        return file;
    }

    /** The TSD's configuration file, for OpenTSDB's own tools ({@code import}, {@code fsck}) against its tables. */
    public Path configFile() {
        return dir.resolve("opentsdb.conf");
    }

    /**
     * Loads a file of OpenTSDB's import format into this TSD's tables with OpenTSDB's own tool
     * ({@code net.opentsdb.tools.OpenTSDBMain import FILE}, this TSD's configuration), in its own JVM;
     * returns when the tool has exited, its log in {@code logs/import.log}.
     */
    public void importFile(Path file, Duration timeout) throws IOException {
        runTool("import", List.of(file.toString()), dir.resolve("logs").resolve("import.log"), timeout);
    }

    /**
     * Runs one of OpenTSDB's tools ({@code import}, {@code fsck}, {@code scan}, ...) against this TSD's tables, with its
     * configuration, in its own JVM, its output in {@code output}; returns when it has exited, fails when it exits non-zero.
     */
    public void runTool(String tool, List<String> args, Path output, Duration timeout) throws IOException {
        List<String> all = new java.util.ArrayList<>(List.of(tool, "--config=" + configFile()));
        all.addAll(args);
        JavaProcess.run(new JavaProcess.Spec("tsdb-" + tool + "-" + name, ServerRuntime.classpath("opentsdb"),
                List.of("-Xms256m", "-Xmx1g", "-XX:+UseG1GC", "-Djava.awt.headless=true",
                        "-Dlogback.configurationFile=" + DevLogging.write(dir, tool, Map.of("net.opentsdb.tools.TextImporter", "INFO"))),
                "net.opentsdb.tools.OpenTSDBMain", all, dir, output), timeout);
    }

    @Override
    public String toString() {
        return "OpenTSDB '" + name + "' " + httpUrl();
    }
}
