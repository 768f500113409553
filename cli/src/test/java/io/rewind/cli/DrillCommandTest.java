package io.rewind.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.rewind.restore.check.Drill;
import io.rewind.restore.check.DrillMetrics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A drill of an archive that holds no hour yet (a new install, the archiver not yet committed) says there is nothing to
 * drill: exit 0, and for the metrics neither a pass nor a failure, so that the alert on the last drill stays quiet.
 */
class DrillCommandTest {
    @TempDir
    Path dir;

    @Test
    void anEmptyArchiveHasNothingToDrillYetWhichIsNoFailure() throws Exception {
        Files.createDirectories(dir.resolve("archive"));
        String[] args = {"drill", "--archive", dir.resolve("archive").toString(), "--target", "http://127.0.0.1:9",
                "--rejects", dir.resolve("rejects.jsonl").toString()};

        CliRun text = CliRun.of(args);
        CliRun json = CliRun.of(List.of(args, new String[] {"--json"}).stream().flatMap(java.util.Arrays::stream).toArray(String[]::new));

        assertThat(text.exitCode()).as(text.out() + text.err()).isZero();
        assertThat(text.out()).contains("NOTHING TO DRILL YET", dir.resolve("archive").toUri().toString(), "topic points",
                "check --archive and --topic").doesNotContain("FAILED");
        assertThat(json.exitCode()).as(json.err()).isZero();
        JsonNode report = new ObjectMapper().readTree(json.out());
        assertThat(report.path("nothingToDrill").asBoolean()).isTrue();
        assertThat(report.path("passed").asBoolean()).isFalse();
    }

    @Test
    void aDrillWithNothingToDrillIsCountedAndLeavesTheLastRunUnset() {
        DrillMetrics metrics = new DrillMetrics(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));

        metrics.passedOrFailed(new Drill.Result(1, 1_000, 5, List.of()), 2_000_000);

        String scrape = metrics.registry().scrape();
        assertThat(scrape).containsPattern("rewind_drill_runs_total\\{result=\"nothing\"} 1\\.0")
                .containsPattern("rewind_drill_runs_total\\{result=\"failed\"} 0\\.0")
                .containsPattern("(?m)^rewind_drill_last_run_timestamp_seconds 0\\.0$");
    }
}
