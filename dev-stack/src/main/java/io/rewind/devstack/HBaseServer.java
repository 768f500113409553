package io.rewind.devstack;

import io.rewind.devstack.process.Await;
import io.rewind.devstack.process.JavaProcess;
import io.rewind.devstack.process.Logs;
import io.rewind.hbasetools.launch.HBaseToolsProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A real standalone HBase (master, region server and ZooKeeper in one JVM, data in a local directory)
 * that OpenTSDB stores into. Several TSDs share it, each with its own table-name prefix.
 */
public final class HBaseServer extends DevServer {
    private static final String READY_LINE = "Master has completed initialization";
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(180);

    /** JDK 17 needs these for HBase 2.6, as HBase's own launch scripts pass them. */
    private static final List<String> JDK17_FLAGS = HBaseToolsProcess.JDK17_FLAGS;

    private final int zookeeperPort;
    private final int masterPort;
    private final int regionServerPort;

    HBaseServer(Path dir, boolean watched) {
        super(dir, watched, Duration.ofSeconds(30));
        this.zookeeperPort = Ports.free();
        this.masterPort = Ports.free();
        this.regionServerPort = Ports.free();
    }

    /** The ZooKeeper quorum OpenTSDB connects to: {@code 127.0.0.1:<port>}. */
    public String zookeeperQuorum() {
        return "127.0.0.1:" + zookeeperPort;
    }

    /** HBase's root directory (hbase.rootdir), a file: URI: where a snapshot's files are read from. */
    public String rootDir() {
        return dir.resolve("data").toUri().toString();
    }

    /** Starts HBase and waits until its master has completed initialization. */
    public synchronized void start() throws IOException {
        Path conf = writeConfig();
        Path log = dir.resolve("logs").resolve("hbase.log");
        List<Path> classpath = new ArrayList<>();
        classpath.add(conf);
        classpath.addAll(ServerRuntime.classpath("hbase"));
        // 1 GiB unless told (rewind.dev.hbase.heap): the benchmarks that load millions of points through OpenTSDB's import
        // need more.
        List<String> options = new ArrayList<>(List.of("-Xms256m", "-Xmx" + System.getProperty("rewind.dev.hbase.heap", "1g"),
                "-XX:+UseG1GC",
                "-Djava.net.preferIPv4Stack=true", "-Djava.awt.headless=true",
                "-Dlog4j.configuration=" + conf.resolve("log4j.properties").toUri(),
                "-Dhbase.log.dir=" + dir.resolve("logs")));
        options.addAll(JDK17_FLAGS);
        process = JavaProcess.start(new JavaProcess.Spec("hbase", classpath, options,
                "org.apache.hadoop.hbase.master.HMaster", List.of("start"), dir, log), watched);
        JavaProcess started = process;
        Await.until("HBase to complete initialization", READY_TIMEOUT, started::checkAlive,
                () -> Logs.contains(log, READY_LINE));
    }

    /** Creates OpenTSDB's tables (tsdb, tsdb-uid, tsdb-tree, tsdb-meta) for each table-name prefix. */
    /** Creates OpenTSDB's tables for each prefix, and the extra tables of data points (rollup tables) named. */
    public void createTsdTables(List<String> prefixes, List<String> dataTables) throws IOException {
        List<String> all = new ArrayList<>(prefixes);
        dataTables.forEach(table -> all.add("data:" + table));
        createTsdTables(all);
    }

    public void createTsdTables(List<String> prefixes) throws IOException {
        List<String> args = new ArrayList<>(List.of("127.0.0.1", Integer.toString(zookeeperPort)));
        args.addAll(prefixes);
        List<String> options = new ArrayList<>(List.of("-Xmx256m", "-Djava.net.preferIPv4Stack=true",
                "-Dlog4j.configuration=" + dir.resolve("conf").resolve("log4j.properties").toUri()));
        options.addAll(JDK17_FLAGS);
        JavaProcess.run(new JavaProcess.Spec("hbase-create-tables", ServerRuntime.classpath("hbase"), options,
                "io.rewind.devstack.hbase.CreateTsdTables", args, dir, dir.resolve("logs").resolve("hbase-tables.log")),
                Duration.ofSeconds(120));
    }

    private Path writeConfig() throws IOException {
        Map<String, String> site = new LinkedHashMap<>();
        site.put("hbase.cluster.distributed", "false");
        site.put("hbase.rootdir", rootDir());
        site.put("hbase.tmp.dir", dir.resolve("tmp").toString());
        site.put("hbase.zookeeper.quorum", "127.0.0.1");
        site.put("hbase.zookeeper.property.clientPort", Integer.toString(zookeeperPort));
        site.put("hbase.zookeeper.property.dataDir", dir.resolve("zookeeper").toString());
        site.put("hbase.master.port", Integer.toString(masterPort));
        site.put("hbase.master.info.port", "-1");
        site.put("hbase.regionserver.port", Integer.toString(regionServerPort));
        site.put("hbase.regionserver.info.port", "-1");
        site.put("hbase.master.hostname", "127.0.0.1");
        site.put("hbase.regionserver.hostname", "127.0.0.1");
        // A local file system has no hflush/hsync capability; HBase refuses to start on it without this.
        site.put("hbase.unsafe.stream.capability.enforce", "false");
        StringBuilder xml = new StringBuilder("<?xml version=\"1.0\"?>\n<configuration>\n");
        site.forEach((name, value) -> xml.append("  <property><name>").append(name).append("</name><value>")
                .append(value).append("</value></property>\n"));
        xml.append("</configuration>\n");
        Path conf = dir.resolve("conf");
        Files.createDirectories(conf);
        Files.writeString(conf.resolve("hbase-site.xml"), xml);
        Files.writeString(conf.resolve("log4j.properties"), """
                log4j.rootLogger=WARN,console
                log4j.appender.console=org.apache.log4j.ConsoleAppender
                log4j.appender.console.layout=org.apache.log4j.PatternLayout
                log4j.appender.console.layout.ConversionPattern=%d{HH:mm:ss.SSS} %-5p [%t] %c{2}: %m%n
                log4j.logger.org.apache.hadoop.hbase.master.HMaster=INFO
                """);
        return conf;
    }

    @Override
    public String toString() {
        return "HBase (ZooKeeper " + zookeeperQuorum() + ")";
    }
}
