package io.rewind.quickstart;

import static io.rewind.devstack.junit.DevStackExtension.PRODUCTION;
import static io.rewind.devstack.junit.DevStackExtension.RECOVERY;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.rewind.devstack.DevStack;
import io.rewind.devstack.TsdClient;
import io.rewind.devstack.junit.DevStackExtension;
import io.rewind.devstack.process.Await;
import io.rewind.cli.RewindCli;
import io.rewind.tap.Tap;
import io.rewind.tap.config.TapConfig;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The Grafana dashboard and the Prometheus alert rules in {@code monitoring/} against the components themselves: every
 * metric they name is exported under that name on a real tap's, archiver's or repeated drill's {@code /metrics}, after the
 * traffic and the faults that make each appear ({@link AlertRulesTest} checks the rules with Prometheus's own promtool).
 */
@ExtendWith(DevStackExtension.class)
class MonitoringIT {
    private static final Path MONITORING = Path.of(System.getProperty("user.dir")).toAbsolutePath().getParent().resolve("monitoring");
    private static final Path DASHBOARD = MONITORING.resolve("grafana/rewind.json");
    private static final Path RULES = MONITORING.resolve("prometheus/rewind-alerts.yml");
    private static final Path RULE_TESTS = MONITORING.resolve("prometheus/rewind-alerts.test.yml");
    private static final Pattern EXPORTED = Pattern.compile("(?m)^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\\{([^}]*)})? ");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"(?:[^\"\\\\]|\\\\.)*\"");

    @TempDir
    Path dir;

    @Test
    void everyMetricTheDashboardAndTheAlertsNameIsExportedUnderThatNameWithItsLabels(DevStack stack) throws Exception {
        Set<String> named = new TreeSet<>();
        for (Path file : List.of(DASHBOARD, RULES, RULE_TESTS)) {
            named.addAll(AlertMetrics.named(Files.readString(file)));
        }
        assertThat(named).hasSizeGreaterThan(20);

        Map<String, Set<String>> exported = new TreeMap<>();
        try (Pipeline pipeline = Pipeline.start(stack, stack.tsd(PRODUCTION), dir.resolve("pipeline"), Duration.ofSeconds(2))) {
            TsdClient tap = new TsdClient("127.0.0.1", pipeline.tap().port());
            long before = pipeline.pointsArchived();
            assertThat(tap.telnet(List.of("put monitoring.it 1764000000 1 host=a", "put monitoring.it 1764000001 abc host=a")))
                    .singleElement().asString().contains("invalid value");
            TsdClient.Response put = tap.post("/api/put?sync",
                    "[{\"metric\":\"monitoring.it\",\"timestamp\":1764000002,\"value\":2,\"tags\":{\"host\":\"a\"}}]", false);
            assertThat(put.status()).as(put.body()).isIn(200, 204);
            Await.until("the archiver to archive the points", Duration.ofSeconds(60), () -> { }, () -> pipeline.pointsArchived() >= before + 2);
            // Its recovery point, and its topic monitor's first look at the topic with records in it (every 15 s).
            Await.until("the archiver to export its recovery point and the topic's state", Duration.ofSeconds(60), () -> { },
                    () -> exported(pipeline.archiver().adminPort()).keySet().containsAll(List.of(
                            "rewind_archiver_last_durable_receipt_timestamp_seconds", "rewind_archiver_topic_newest_record_timestamp_seconds",
                            "rewind_archiver_oldest_unarchived_record_age_seconds", "rewind_archiver_topic_retention_seconds")));
            addAll(exported, exported(pipeline.tap().adminPort()));
            addAll(exported, exported(pipeline.archiver().adminPort()));
            // Each process's JVM on its own admin port: a heap filling up or a restart loop shows where its metrics are.
            for (int adminPort : List.of(pipeline.tap().adminPort(), pipeline.archiver().adminPort())) {
                assertThat(exported(adminPort)).containsKeys("jvm_memory_used_bytes", "jvm_threads_live_threads", "process_cpu_usage",
                        "process_uptime_seconds");
            }
        }
        // A tap whose TSD is gone and whose topic does not exist: the errors it counts are named too.
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        try (Tap broken = Tap.start(TapConfig.of(TapConfig.localSettings(stack.kafka().bootstrapServers(), "monitoring-no-topic",
                dir.resolve("broken-spool"), "127.0.0.1:" + closedPort)))) {
            try {
                new TsdClient("127.0.0.1", broken.port()).telnet(List.of("put monitoring.it 1764000003 3 host=a"));
            } catch (UncheckedIOException refused) {
                // the tap closes a client whose TSD cannot be reached
            }
            Await.until("the tap to count its Kafka and TSD errors", Duration.ofSeconds(60), () -> { },
                    () -> exported(broken.adminPort()).keySet().containsAll(List.of("rewind_tap_kafka_errors_total", "rewind_tap_upstream_errors_total")));
            addAll(exported, exported(broken.adminPort()));
        }

        // A drill run again and again on that archive, into another TSD, renamed; a copy of it kept again and again: their metrics.
        Path archive = dir.resolve("pipeline").resolve("archive");
        addAll(exported, repeated("the drill to report its first run", "PASSED", "drill", "--archive", archive.toString(), "--target",
                stack.tsd(RECOVERY).httpUrl().toString(), "--rename-metric", "(.*)=drill.$1", "--every", "1h", "--admin-port", "0",
                "--admin-host", "127.0.0.1", "--rejects", dir.resolve("drill.rejects.jsonl").toString()));
        addAll(exported, repeated("the copy to report its first run", "Copied", "copy", "--from", archive.toString(), "--to",
                dir.resolve("copy").toString(), "--every", "1h", "--admin-port", "0", "--admin-host", "127.0.0.1"));
        // A follower of the pipeline's topic into the recovery TSD, renamed.
        addAll(exported, repeated("the follower to follow", "Following '", "restore", "--archive", archive.toString(), "--from", "-2d",
                "--bootstrap-servers", stack.kafka().bootstrapServers(), "--follow", "--group", "monitoring-it", "--target",
                stack.tsd(RECOVERY).httpUrl().toString(), "--rename-metric", "(.*)=follow.$1", "--admin-port", "0", "--admin-host",
                "127.0.0.1", "--rejects", dir.resolve("follow.rejects.jsonl").toString()));

        Set<String> notYet = new TreeSet<>(AlertMetrics.NOT_YET_EXPORTED);
        notYet.retainAll(exported.keySet());
        assertThat(notYet).as("exported now: remove them from AlertMetrics.NOT_YET_EXPORTED, so that renaming them breaks this test").isEmpty();
        named.removeAll(AlertMetrics.NOT_YET_EXPORTED);
        assertThat(exported.keySet()).containsAll(named);
        // The labels the rules' tests give each series are those the components export.
        AlertMetrics.EXPORTED.forEach((name, labels) -> {
            if (name.startsWith("rewind_") && !AlertMetrics.NOT_YET_EXPORTED.contains(name)) {
                assertThat(exported).as(name).containsKey(name);
                assertThat(exported.get(name)).as(name).isEqualTo(labels);
            }
        });
        JsonNode groups = new YAMLMapper().readTree(RULES.toFile()).path("groups");
        assertThat(groups.size()).isPositive();
        groups.forEach(group -> group.path("rules").forEach(rule -> {
            assertThat(rule.path("alert").asText()).isNotBlank();
            assertThat(rule.path("expr").asText()).as(rule.path("alert").asText()).isNotBlank();
            assertThat(rule.path("annotations").path("summary").asText()).as(rule.path("alert").asText()).isNotBlank();
        }));
    }

    /** Runs a verb with --every and --admin-port 0 until its first run says what is expected, and returns what it exports. */
    private static Map<String, Set<String>> repeated(String what, String expected, String... args) throws Exception {
        StringWriter out = new StringWriter();
        Thread verb = new Thread(() -> {
            CommandLine cli = RewindCli.commandLine();
            cli.setOut(new PrintWriter(out, true));
            cli.setErr(new PrintWriter(out, true));
            cli.execute(args);
        }, "monitoring-" + args[0]);
        verb.start();
        try {
            Pattern url = Pattern.compile("metrics on http://127.0.0.1:(\\d+)/metrics");
            Await.until(what, Duration.ofSeconds(90), () -> assertThat(verb.isAlive()).as(out.toString()).isTrue(), () -> {
                Matcher port = url.matcher(out.toString());
                return port.find() && out.toString().contains(expected);
            });
            Matcher port = url.matcher(out.toString());
            assertThat(port.find()).isTrue();
            return exported(Integer.parseInt(port.group(1)));
        } finally {
            verb.interrupt();
            verb.join(60_000);
        }
    }

    private static void addAll(Map<String, Set<String>> into, Map<String, Set<String>> more) {
        more.forEach((name, labels) -> into.computeIfAbsent(name, n -> new TreeSet<>()).addAll(labels));
    }

    /** The metric names a component's admin port exports, each with the label names of its series. */
    private static Map<String, Set<String>> exported(int adminPort) throws IOException, InterruptedException {
        HttpResponse<String> metrics = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + "/metrics")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(metrics.statusCode()).isEqualTo(200);
        Map<String, Set<String>> names = new TreeMap<>();
        Matcher m = EXPORTED.matcher(metrics.body());
        while (m.find()) {
            Set<String> labels = names.computeIfAbsent(m.group(1), n -> new TreeSet<>());
            Matcher label = LABEL.matcher(m.group(2) == null ? "" : m.group(2));
            while (label.find()) {
                labels.add(label.group(1));
            }
        }
        return names;
    }
}
