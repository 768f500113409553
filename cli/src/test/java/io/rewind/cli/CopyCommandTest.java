package io.rewind.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.rewind.archive.ArchiveLayout;
import io.rewind.archive.copy.ArchiveCopy;
import io.rewind.devstack.process.Await;
import io.rewind.archive.storage.local.LocalStorage;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What {@code copy} says, and its exit code, when a run leaves work for the next one. */
class CopyCommandTest {
    @TempDir
    Path dir;

    @Test
    void filesGoneFromTheArchiveSinceTheListingAskForARerunAndExitOne() {
        CopyCommand command = new CopyCommand();
        command.delete = true;
        StringWriter text = new StringWriter();

        int code = report(command, text, new ArchiveCopy.Result(3, 300, 5, 0, 2, 0, List.of(), 1_000));

        assertThat(code).isEqualTo(RewindCli.PROBLEMS);
        assertThat(text.toString()).contains("2 file(s) gone from the archive since it was listed")
                .contains("INCOMPLETE: run rewind copy again")
                .contains("0 deleted (deletions wait for a complete run)");
    }

    @Test
    void theJsonReportCountsWhatIsGoneAndSaysTheCopyIsIncomplete() {
        CopyCommand command = new CopyCommand();
        command.json = true;
        StringWriter text = new StringWriter();

        int code = report(command, text, new ArchiveCopy.Result(3, 300, 5, 0, 2, 0, List.of(), 1_000));

        assertThat(code).isEqualTo(RewindCli.PROBLEMS);
        assertThat(text.toString()).contains("\"gone\" : 2").contains("\"complete\" : false");
    }

    @Test
    void aCompleteRunExitsZero() {
        CopyCommand command = new CopyCommand();
        StringWriter text = new StringWriter();

        int code = report(command, text, new ArchiveCopy.Result(3, 300, 5, 0, 0, 0, List.of(), 1_000));

        assertThat(code).isEqualTo(RewindCli.OK);
        assertThat(text.toString()).doesNotContain("INCOMPLETE");
    }

    @Test
    void aRepeatedCopyServesWhenItLastSucceededAndTheFilesItLeftOnItsAdminPort() throws Exception {
        try (LocalStorage source = new LocalStorage(dir.resolve("source"))) {
            // A part the archiver is still writing: no sidecar yet, so this run leaves it for the next.
            source.put(ArchiveLayout.part("points", 0, 3_600_000, 0, 0, 9), new byte[] {1, 2, 3});
        }
        StringWriter out = new StringWriter();
        Thread copy = new Thread(() -> {
            picocli.CommandLine cli = RewindCli.commandLine();
            cli.setOut(new PrintWriter(out, true));
            cli.setErr(new PrintWriter(out, true));
            cli.execute("copy", "--from", dir.resolve("source").toString(), "--to", dir.resolve("copy").toString(), "--every", "1h",
                    "--admin-port", "0", "--admin-host", "127.0.0.1");
        }, "copy-every");
        long before = System.currentTimeMillis() / 1000;
        copy.start();
        try {
            Pattern url = Pattern.compile("metrics on (http://127.0.0.1:\\d+/metrics)");
            Await.until("the first copy run", Duration.ofSeconds(30), () -> assertThat(copy.isAlive()).as(out.toString()).isTrue(),
                    () -> out.toString().contains("1 file(s) not yet published"));
            Matcher m = url.matcher(out.toString());
            assertThat(m.find()).as(out.toString()).isTrue();
            String scrape = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(m.group(1))).build(),
                    HttpResponse.BodyHandlers.ofString()).body();

            assertThat(value(scrape, "rewind_copy_last_success_timestamp_seconds")).isBetween((double) before,
                    System.currentTimeMillis() / 1000.0);
            assertThat(value(scrape, "rewind_copy_files_behind")).isEqualTo(1);
            assertThat(value(scrape, "rewind_copy_runs_total{result=\"complete\"}")).isEqualTo(1);
            assertThat(value(scrape, "rewind_copy_runs_total{result=\"error\"}")).isZero();
            assertThat(value(scrape, "rewind_copy_interval_seconds")).isEqualTo(3600);
        } finally {
            copy.interrupt();
            copy.join(30_000);
        }
    }

    @Test
    void anIncompleteRunLeavesTheLastSuccessAndCountsWhatItLeftAndAFailedRunIsCounted() {
        CopyMetrics metrics = new CopyMetrics(new io.micrometer.prometheusmetrics.PrometheusMeterRegistry(
                io.micrometer.prometheusmetrics.PrometheusConfig.DEFAULT), 900_000);
        metrics.ran(new ArchiveCopy.Result(3, 300, 5, 0, 0, 0, List.of(), 1_000), false, 1_000_000);
        metrics.ran(new ArchiveCopy.Result(3, 300, 5, 1, 2, 0, List.of("a: checksum differs"), 1_000), false, 2_000_000);
        metrics.error(3_000_000);

        String scrape = metrics.registry().scrape();
        assertThat(value(scrape, "rewind_copy_last_success_timestamp_seconds")).isEqualTo(1_000);
        assertThat(value(scrape, "rewind_copy_last_run_timestamp_seconds")).isEqualTo(3_000);
        assertThat(value(scrape, "rewind_copy_files_behind")).as("1 unpublished, 2 gone, 1 failed").isEqualTo(4);
        assertThat(value(scrape, "rewind_copy_runs_total{result=\"incomplete\"}")).isEqualTo(1);
        assertThat(value(scrape, "rewind_copy_runs_total{result=\"error\"}")).isEqualTo(1);
    }

    /** A sample's value in a Prometheus scrape, by its name and labels as written there. */
    private static double value(String scrape, String series) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + " (\\S+)$").matcher(scrape);
        assertThat(m.find()).as(series + " in\n" + scrape).isTrue();
        return Double.parseDouble(m.group(1));
    }

    private int report(CopyCommand command, StringWriter text, ArchiveCopy.Result result) {
        try (LocalStorage source = new LocalStorage(dir.resolve("source")); LocalStorage copy = new LocalStorage(dir.resolve("copy"))) {
            return command.report(new PrintWriter(text, true), source, copy, result);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
