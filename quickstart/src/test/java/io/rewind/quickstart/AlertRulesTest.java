package io.rewind.quickstart;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.rewind.devstack.junit.Programs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The alert rules of {@code monitoring/} as Prometheus reads them, with its own {@code promtool}: checked, and run
 * against the cases of {@code rewind-alerts.test.yml} (the archiver down while the tap publishes, an idle topic, Kafka
 * about to delete unarchived points, a gap, one S3 503 against sustained errors, the drills, the copy). Without Debian's
 * {@code prometheus} package those two are reported as skipped, not passed; {@code .ci/run} installs it. The metric
 * names and labels the rules and their tests use are held to {@link AlertMetrics}, which {@link MonitoringIT} holds to
 * the components. The dashboard's last drill shows "no drill yet" before the first drill, not a failure.
 */
class AlertRulesTest {
    private static final Path PROMETHEUS = Path.of(System.getProperty("user.dir")).toAbsolutePath().getParent().resolve("monitoring/prometheus");
    private static final Path RULES = PROMETHEUS.resolve("rewind-alerts.yml");
    private static final Path TESTS = PROMETHEUS.resolve("rewind-alerts.test.yml");
    private static final Path DASHBOARD = PROMETHEUS.getParent().resolve("grafana/rewind.json");
    private static final Pattern SERIES = Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\\{(.*)})?");

    @Test
    void theAlertRulesPassPromtool() throws Exception {
        assertThat(promtool("check", "rules", RULES.toString())).contains("SUCCESS");
    }

    @Test
    void theAlertRulesFireInTheirTestCasesAndOnlyThere() throws Exception {
        assertThat(promtool("test", "rules", TESTS.toString())).contains("SUCCESS");
    }

    @Test
    void theRulesNameOnlyMetricsTheComponentsExport() throws Exception {
        Set<String> named = AlertMetrics.named(Files.readString(RULES));

        assertThat(named).contains("rewind_archiver_last_durable_receipt_timestamp_seconds", "rewind_archiver_topic_retention_seconds");
        assertThat(AlertMetrics.EXPORTED.keySet()).containsAll(named);
    }

    @Test
    void theTestCasesFeedSeriesNamedAndLabelledAsTheComponentsExportThem() throws Exception {
        JsonNode tests = new YAMLMapper().readTree(TESTS.toFile()).path("tests");
        Set<String> fed = new TreeSet<>();
        tests.forEach(test -> test.path("input_series").forEach(input -> {
            Matcher series = SERIES.matcher(input.path("series").asText().trim());
            assertThat(series.matches()).as(input.toString()).isTrue();
            String name = series.group(1);
            Set<String> labels = series.group(2) == null ? Set.of() : Arrays.stream(series.group(2).split(","))
                    .map(pair -> pair.substring(0, pair.indexOf('=')).trim()).collect(Collectors.toCollection(TreeSet::new));
            assertThat(labels).as(input.toString()).contains("job", "instance");
            if (!name.equals("up")) {
                assertThat(AlertMetrics.EXPORTED).as(name + " is not a metric the components export").containsKey(name);
                labels.removeAll(Set.of("job", "instance"));
                assertThat(labels).as(input.toString()).isEqualTo(AlertMetrics.EXPORTED.get(name));
            }
            fed.add(name);
        }));
        // The metrics of the recovery point and retention alerts are all exercised.
        assertThat(fed).contains("rewind_archiver_last_durable_receipt_timestamp_seconds", "rewind_archiver_topic_newest_record_timestamp_seconds",
                "rewind_archiver_oldest_unarchived_record_age_seconds", "rewind_archiver_topic_retention_seconds", "rewind_tap_gaps_open",
                "rewind_archiver_errors_total", "rewind_copy_files_behind", "rewind_drill_runs_total");
    }

    @Test
    void theDashboardSaysNoDrillYetBeforeAnyDrillHasRunThenTheLastResult() throws Exception {
        JsonNode panel = null;
        for (JsonNode p : new com.fasterxml.jackson.databind.ObjectMapper().readTree(DASHBOARD.toFile()).path("panels")) {
            if (p.path("title").asText().equals("Last drill passed")) {
                panel = p;
            }
        }
        assertThat(panel).isNotNull();
        assertThat(panel.at("/fieldConfig/defaults/mappings/0/options/-1/text").asText()).isEqualTo("no drill yet");
        assertThat(panel.at("/fieldConfig/defaults/mappings/0/options/0/text").asText()).isEqualTo("FAILED");
        String expr = panel.at("/targets/0/expr").asText().replace("'", "''");
        // A drill that has not run yet (passed 0, no run), then one that failed at 10 min, then passed at 21 min.
        StringBuilder cases = new StringBuilder("rule_files: []\nevaluation_interval: 1m\ntests:\n  - interval: 1m\n    input_series:\n"
                + "      - series: 'rewind_drill_passed{job=\"drills\",instance=\"d1:9473\"}'\n        values: '0x20 1x10'\n"
                + "      - series: 'rewind_drill_last_run_timestamp_seconds{job=\"drills\",instance=\"d1:9473\"}'\n"
                + "        values: '0x9 600x11 1260x10'\n    promql_expr_test:\n");
        for (String[] at : new String[][] {{"5m", "-1"}, {"15m", "0"}, {"25m", "1"}}) {
            cases.append("      - expr: '").append(expr).append("'\n        eval_time: ").append(at[0])
                    .append("\n        exp_samples:\n          - labels: '{}'\n            value: ").append(at[1]).append('\n');
        }
        Path file = Files.createTempFile("rewind-dashboard", ".test.yml");
        try {
            Files.writeString(file, cases);
            assertThat(promtool("test", "rules", file.toString())).contains("SUCCESS");
        } finally {
            Files.delete(file);
        }
    }

    /** Runs promtool, which must succeed; skipped when it is not installed. */
    private static String promtool(String... args) throws Exception {
        Path promtool = Programs.requireOrSkip("promtool", "the alert rules were not checked by Prometheus (Debian: apt-get install"
                + " prometheus)");
        Process run = new ProcessBuilder(Stream.concat(Stream.of(promtool.toString()), Stream.of(args)).toList())
                .directory(PROMETHEUS.toFile()).redirectErrorStream(true).start();
        String output = new String(run.getInputStream().readAllBytes());
        assertThat(run.waitFor()).as(output).isZero();
        return output;
    }
}
