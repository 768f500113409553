package io.rewind.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.rewind.devstack.DevStack;
import io.rewind.devstack.Tsd;
import io.rewind.devstack.TsdClient;
import io.rewind.devstack.junit.DevStackExtension;
import io.rewind.devstack.process.Await;
import io.rewind.cli.CliRun;
import io.rewind.cli.RewindCli;
import io.rewind.restore.TestArchive;
import io.rewind.schema.Point;
import io.rewind.service.TimeArgs;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code rewind drill} against a real TSD: it passes on a sound archive, restoring renamed and tagged series so that the
 * scratch cluster stays apart; it fails and names the series once the target was tampered with; and, run with
 * {@code --every}, its metrics say so.
 */
@ExtendWith(DevStackExtension.class)
class DrillIT {
    private static final long W = 1_763_640_000_000L; // 2025-11-20T12:00:00Z
    private static final long HOUR = TestArchive.HOUR;
    private static final Pattern METRICS_URL = Pattern.compile("metrics on (http://\\S+/metrics)");

    @TempDir
    Path work;

    @Test
    void aDrillPassesOnASoundArchiveAndNamesTheSeriesOfATamperedTarget(DevStack stack) throws Exception {
        List<Point> points = TestArchive.workload("it.drill", W, 5 * 60, 2);
        Path archive = ArchiverOutput.archive(stack, work, "it-drill", points, W + 6 * HOUR); // the real archiver's, from a real topic
        Tsd scratch = stack.tsd("drill-scratch", Map.of());
        List<String> drill = List.of("drill", "--archive", archive.toString(), "--topic", "it-drill", "--target", scratch.httpUrl().toString(), "--seed", "7",
                "--sample", "2", "--rename-metric", "it\\.drill\\.(.*)=drill.$1", "--set-tag", "drill=nightly", "--rejects",
                work.resolve("drill.rejects.jsonl").toString());

        CliRun sound = CliRun.of(drill.toArray(String[]::new));

        assertThat(sound.exitCode()).as(sound.out() + sound.err()).isZero();
        assertThat(sound.out()).contains("seed 7 (--seed 7 draws the same hours)")
                .contains(TimeArgs.format(W + 4 * HOUR) + "  last full hour").contains("PASSED: 3 hour(s)");
        List<String> hours = sampledHours(sound.out());
        assertThat(hours).hasSize(3).doesNotHaveDuplicates();
        assertThat(TsdClient.of(scratch).query("drill.cpu", W + 4 * HOUR, W + 5 * HOUR - 1))
                .hasSize(2).allSatisfy(s -> assertThat(s.tags()).containsEntry("drill", "nightly"));
        assertThat(TsdClient.of(scratch).query("it.drill.cpu", W, W + 5 * HOUR)).isEmpty();

        // Tampered with: a point the archive does not hold, in the last full hour. A restore never deletes, so the drill sees it.
        TsdClient.Response put = TsdClient.of(scratch).post("/api/put?sync", "[{\"metric\":\"drill.cpu\",\"timestamp\":"
                + (W + 4 * HOUR + 5_000) / 1000 + ",\"value\":5,\"tags\":{\"host\":\"web00\",\"dc\":\"lga\",\"drill\":\"nightly\"}}]", false);
        assertThat(put.status()).as(put.body()).isIn(200, 204);
        CliRun tampered = CliRun.of(drill.toArray(String[]::new));

        assertThat(tampered.exitCode()).as(tampered.out() + tampered.err()).isEqualTo(RewindCli.PROBLEMS);
        assertThat(sampledHours(tampered.out())).isEqualTo(hours);
        assertThat(tampered.out()).contains("DIFFERENT: 1 series")
                .contains("drill.cpu{dc=lga, drill=nightly, host=web00}: archive 360 points, target 361 (0 changed, 0 missing, 1 extra); "
                        + TimeArgs.format(W + 4 * HOUR + 5_000) + " extra in the target (5)")
                .contains("FAILED: 1 series differ");

        // Run again and again: the metrics say that the last drill failed, and what it found.
        List<String> every = new ArrayList<>(drill);
        every.addAll(List.of("--every", "1h", "--admin-port", "0", "--admin-host", "127.0.0.1"));
        StringWriter out = new StringWriter();
        AtomicInteger exit = new AtomicInteger(-1);
        Thread running = new Thread(() -> {
            CommandLine cli = RewindCli.commandLine();
            cli.setOut(new PrintWriter(out, true));
            cli.setErr(new PrintWriter(out, true));
            exit.set(cli.execute(every.toArray(String[]::new)));
        }, "drill-every");
        running.start();
        try {
            HttpClient http = HttpClient.newHttpClient();
            String[] metrics = new String[1];
            Await.until("the repeated drill to report its first run on /metrics", Duration.ofMinutes(2),
                    () -> assertThat(exit.get()).as(out.toString()).isEqualTo(-1), () -> {
                        Matcher url = METRICS_URL.matcher(out.toString());
                        if (!url.find()) {
                            return false;
                        }
                        metrics[0] = http.send(HttpRequest.newBuilder(URI.create(url.group(1))).build(),
                                HttpResponse.BodyHandlers.ofString()).body();
                        return metrics[0].contains("rewind_drill_runs_total{result=\"failed\"} 1.0");
                    });
            assertThat(metrics[0]).contains("rewind_drill_passed 0.0").contains("rewind_drill_mismatched_series 1.0")
                    .contains("rewind_drill_last_success_timestamp_seconds 0.0").contains("rewind_drill_runs_total{result=\"passed\"} 0.0")
                    .containsPattern("rewind_drill_points_verified [1-9]").containsPattern("rewind_drill_last_run_timestamp_seconds [1-9]");
        } finally {
            running.interrupt();
            running.join(60_000);
        }
        assertThat(running.isAlive()).isFalse();
    }

    /** The hours a drill printed, in order. */
    private static List<String> sampledHours(String out) {
        List<String> hours = new ArrayList<>();
        Matcher m = Pattern.compile("(?m)^  (\\S+)  (last full hour|random)").matcher(out);
        while (m.find()) {
            hours.add(m.group(1));
        }
        return hours;
    }
}
