package io.rewind.cli;

import static io.rewind.devstack.junit.DevStackExtension.PRODUCTION;
import static io.rewind.devstack.junit.DevStackExtension.RECOVERY;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import io.rewind.archive.storage.local.LocalStorage;
import io.rewind.devstack.DevStack;
import io.rewind.devstack.Tsd;
import io.rewind.devstack.TsdClient;
import io.rewind.devstack.junit.DevStackExtension;
import io.rewind.devstack.process.Await;
import io.rewind.cli.CliRun;
import io.rewind.restore.RestorePlan;
import io.rewind.restore.TestArchive;
import io.rewind.restore.check.TargetVerifier;
import io.rewind.restore.plan.Selection;
import io.rewind.restore.plan.Transforms;
import io.rewind.schema.Point;
import io.rewind.schema.TimestampPrecision;
import io.rewind.service.TimeArgs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Restores into real TSDs: data written to the production TSD and archived as the archiver would,
 * restored by the command line into the recovery TSD, then compared by /api/query on both.
 */
@ExtendWith(DevStackExtension.class)
class RestoreIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long W = 1_763_640_000_000L; // 2025-11-20T12:00:00Z
    private static final long HOUR = TestArchive.HOUR;

    @TempDir
    Path work;

    @Test
    void aRangeIsRestoredExactlyAndNothingOutsideIt(DevStack stack) throws Exception {
        List<Point> points = TestArchive.workload("it.range", W, 120, 6);
        write(stack.tsd(PRODUCTION), points);
        // What the real archiver wrote from a real topic.
        Path archive = ArchiverOutput.archive(stack, work, "it-range", points, W + 3 * HOUR);
        long from = W + 30 * 60_000L;
        long to = W + 90 * 60_000L;

        long addedBefore = pointsAdded(stack.tsd(RECOVERY));
        CliRun run = CliRun.of("restore", "--archive", archive.toString(), "--topic", "it-range", "--from", Long.toString(from),
                "--to", Long.toString(to),
                "--target", stack.tsd(RECOVERY).httpUrl().toString(), "--rejects", work.resolve("rejects.jsonl").toString(),
                "--batch-size", "500", "--verify");

        assertThat(run.exitCode()).as(run.out() + run.err()).isZero();
        assertThat(run.out()).contains("Verified: the target holds exactly the archive's");
        // Each point of the range written once, by the TSD's own count (a batch the restore had to send again, which it
        // says, would count twice).
        long inRange = points.stream().filter(p -> p.getTimestampMs() >= from && p.getTimestampMs() < to).count();
        Await.until("the TSD to count the points it stored", Duration.ofSeconds(30), () -> { },
                () -> pointsAdded(stack.tsd(RECOVERY)) - addedBefore >= inRange);
        java.util.regex.Matcher retried = java.util.regex.Pattern.compile("([\\d,]+) retries").matcher(run.out());
        long retries = retried.find() ? Long.parseLong(retried.group(1).replace(",", "")) : 0;
        assertThat(pointsAdded(stack.tsd(RECOVERY)) - addedBefore).as("points the TSD stored, %d retries", retries)
                .isBetween(inRange, inRange + retries * 500);
        for (String metric : List.of("it.range.cpu", "it.range.load", "it.range.latency")) {
            Map<String, Map<Long, String>> production = series(stack.tsd(PRODUCTION), metric, from, to - 1);
            assertThat(production).hasSize(6);
            assertThat(series(stack.tsd(RECOVERY), metric, from, to - 1)).isEqualTo(production);
            assertThat(series(stack.tsd(RECOVERY), metric, W - HOUR, from - 1)).isEmpty();
            assertThat(series(stack.tsd(RECOVERY), metric, to, W + 4 * HOUR)).isEmpty();
        }
        assertThat(Files.readString(work.resolve("rejects.jsonl"))).isEmpty();
    }

    @Test
    void verifyNamesAChangedValueAMissingPointAndAnExtraPointInTheTarget(DevStack stack) throws Exception {
        long start = W + 6 * HOUR;
        List<Point> points = TestArchive.workload("it.verify", start, 10, 2);
        Path archive = archive(points, start + HOUR);
        // A value written again with the same width replaces the cell, as long as the row is not compacted: this target never
        // compacts, so the change is what a query reads. In the shared TSD, a value of another width (300 for 37) is a second
        // cell for the same timestamp, which its queries refuse to read.
        Tsd target = stack.tsd("verify-no-compaction", Map.of("tsd.storage.enable_compaction", "false"));
        for (Tsd tsd : List.of(target, stack.tsd(RECOVERY))) {
            CliRun restore = CliRun.of("restore", "--archive", archive.toString(), "--from", Long.toString(start), "--to",
                    Long.toString(start + HOUR), "--target", tsd.httpUrl().toString(), "--rejects", work.resolve("rejects.jsonl").toString(),
                    "--fresh", "--verify");
            assertThat(restore.exitCode()).as(restore.out() + restore.err()).isZero();
            // Tampered with: a value changed, a point added.
            String tamper = "[{\"metric\":\"it.verify.cpu\",\"timestamp\":" + (start + 10_000) / 1000 + ",\"value\":"
                    + (tsd == target ? 38 : 300) + ",\"tags\":{\"host\":\"web00\",\"dc\":\"lga\"}},{\"metric\":\"it.verify.cpu\","
                    + "\"timestamp\":" + (start + 15_000) / 1000 + ",\"value\":5,\"tags\":{\"host\":\"web01\",\"dc\":\"fra\"}}]";
            assertThat(TsdClient.of(tsd).post("/api/put?sync", tamper, false).status()).isIn(200, 204);
        }
        Selection selection = new Selection(start, start + HOUR, Long.MAX_VALUE, List.of(), Map.of());
        try (LocalStorage storage = new LocalStorage(archive)) {
            // Without fix_duplicates, the TSD refuses to read the metric at all: named, not a crash.
            TargetVerifier.Report duplicates = TargetVerifier.verify(storage, RestorePlan.of(storage, TestArchive.TOPIC, selection),
                    Transforms.NONE, stack.tsd(RECOVERY).httpUrl(), Duration.ofSeconds(30));
            assertThat(duplicates.mismatches()).hasSize(2).allSatisfy(m -> assertThat(m.toString()).startsWith("it.verify.cpu")
                    .contains("the target cannot read it.verify.cpu in the range: \"Duplicate timestamp for key="));
        }
        // And the archive holds a point the target lacks.
        Point missing = TestArchive.point("it.verify.load", start + 3_000, TimestampPrecision.SECONDS, 0.25, Map.of("host", "web00", "dc", "lga"));
        Path larger = work.resolve("larger");
        try (LocalStorage storage = new LocalStorage(larger)) {
            TestArchive writer = new TestArchive(storage, 3);
            writer.commit(TestArchive.ingestedAt(points, start + HOUR));
            writer.commit(TestArchive.ingestedAt(List.of(missing), start + HOUR));
            TargetVerifier.Report report = TargetVerifier.verify(storage, RestorePlan.of(storage, TestArchive.TOPIC, selection),
                    Transforms.NONE, target.httpUrl(), Duration.ofSeconds(30));

            assertThat(report.equal()).isFalse();
            assertThat(report.mismatches()).extracting(TargetVerifier.Mismatch::toString).containsExactly(
                    "it.verify.cpu{dc=fra, host=web01}: archive 60 points, target 61 (0 changed, 0 missing, 1 extra); "
                            + TimeArgs.format(start + 15_000) + " extra in the target (5)",
                    "it.verify.cpu{dc=lga, host=web00}: archive 60 points, target 60 (1 changed, 0 missing, 0 extra); "
                            + TimeArgs.format(start + 10_000) + " changed: archive 37, target 38",
                    "it.verify.load{dc=lga, host=web00}: archive 61 points, target 60 (0 changed, 1 missing, 0 extra); "
                            + TimeArgs.format(start + 3_000) + " missing in the target (archive 0.25)");
            assertThat(report.series()).isEqualTo(6);
        }
    }

    @Test
    void asOfRestoresTheValuesFromBeforeTheIncidentAndWithoutItTheLatest(DevStack stack) throws IOException {
        List<Point> good = TestArchive.workload("it.asof", W, 30, 3);
        List<Point> garbage = good.stream().filter(p -> p.getMetric().equals("it.asof.load") && p.getTimestampMs() >= W + 10 * 60_000L)
                .map(p -> TestArchive.point(p.getMetric(), p.getTimestampMs(), p.getPrecision(), 999_999L, p.getTags())).toList();
        long incident = W + 2 * HOUR;
        Path archive = work.resolve("archive");
        try (LocalStorage storage = new LocalStorage(archive)) {
            TestArchive writer = new TestArchive(storage, 2);
            writer.commit(TestArchive.ingestedAt(good, incident - 60_000L));
            writer.commit(TestArchive.ingestedAt(garbage, incident + 60_000L));
        }
        String target = stack.tsd(RECOVERY).httpUrl().toString();

        CliRun asOf = CliRun.of("restore", "--archive", archive.toString(), "--from", Long.toString(W), "--to", Long.toString(W + HOUR),
                "--as-of", Long.toString(incident), "--target", target, "--rejects", work.resolve("r1.jsonl").toString(), "--verify");
        CliRun latest = CliRun.of("restore", "--archive", archive.toString(), "--from", Long.toString(W), "--to", Long.toString(W + HOUR),
                "--rename-metric", "it\\.asof\\.(.*)=it.latest.$1", "--target", target, "--rejects", work.resolve("r2.jsonl").toString(),
                "--verify");

        assertThat(asOf.exitCode()).as(asOf.out() + asOf.err()).isZero();
        assertThat(latest.exitCode()).as(latest.out() + latest.err()).isZero();
        assertThat(series(stack.tsd(RECOVERY), "it.asof.load", W, W + HOUR)).isEqualTo(expected(good, "it.asof.load", "it.asof.load"));
        List<Point> latestPoints = new ArrayList<>(good.stream().filter(p -> !(p.getMetric().equals("it.asof.load")
                && p.getTimestampMs() >= W + 10 * 60_000L)).toList());
        latestPoints.addAll(garbage);
        assertThat(series(stack.tsd(RECOVERY), "it.latest.load", W, W + HOUR)).isEqualTo(expected(latestPoints, "it.asof.load", "it.latest.load"));
        assertThat(series(stack.tsd(RECOVERY), "it.latest.cpu", W, W + HOUR)).isEqualTo(expected(good, "it.asof.cpu", "it.latest.cpu"));
    }

    @Test
    void filtersAndTransformsGiveExactlyTheExpectedSeries(DevStack stack) throws IOException {
        List<Point> points = TestArchive.workload("it.staging", W, 20, 4);
        Path archive = archive(points, W + HOUR);
        long week = 7 * 86_400_000L;

        CliRun run = CliRun.of("restore", "--archive", archive.toString(), "--from", Long.toString(W), "--to", Long.toString(W + HOUR),
                "--metric", "it.staging.c*", "--metric", "it.staging.latency", "--tag", "dc=lga",
                "--rename-metric", "it\\.staging\\.(.*)=staging.$1", "--set-tag", "env=staging", "--drop-tag", "dc",
                "--time-shift", "+7d", "--target", stack.tsd(RECOVERY).httpUrl().toString(),
                "--rejects", work.resolve("rejects.jsonl").toString(), "--verify");

        assertThat(run.exitCode()).as(run.out() + run.err()).isZero();
        for (String metric : List.of("cpu", "latency")) {
            Map<String, Map<Long, String>> expected = new TreeMap<>();
            points.stream().filter(p -> p.getMetric().equals("it.staging." + metric) && p.getTags().get("dc").equals("lga"))
                    .forEach(p -> expected.computeIfAbsent("{env=staging, host=" + p.getTags().get("host") + "}", k -> new TreeMap<>())
                            .put(p.getTimestampMs() + week, valueText(p.getValue())));
            assertThat(expected).hasSize(2);
            assertThat(series(stack.tsd(RECOVERY), "staging." + metric, W + week, W + week + HOUR)).isEqualTo(expected);
        }
        assertThat(TsdClient.of(stack.tsd(RECOVERY))
                .query("staging.load", W + week, W + week + HOUR)).isEmpty();
    }

    @Test
    void onATerminalTheProgressLineShowsPointsRateLimitAndEta(DevStack stack) throws Exception {
        List<Point> points = TestArchive.workload("it.progress", W, 10, 2); // 360 points: about 2.4 s at 150 points/s
        Path archive = archive(points, W + HOUR);
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), "io.rewind.cli.RewindCli", "restore", "--archive", archive.toString(),
                "--from", Long.toString(W), "--to", Long.toString(W + HOUR), "--target", stack.tsd(RECOVERY).httpUrl().toString(),
                "--rejects", work.resolve("progress.jsonl").toString(), "--batch-size", "30", "--parallelism", "1", "--max-rate", "150"));
        String shell = command.stream().map(word -> "'" + word.replace("'", "'\\''") + "'").collect(Collectors.joining(" "));
        // util-linux's script runs the command on a pseudo-terminal, as a user's shell would.
        Process terminal = new ProcessBuilder("script", "--quiet", "--return", "--flush", "--command", shell, "/dev/null")
                .redirectErrorStream(true).start();
        String screen = new String(terminal.getInputStream().readAllBytes());

        assertThat(terminal.waitFor()).as(screen).isZero();
        assertThat(screen).containsPattern("\\r[\\d,]+ / ~360 points  [\\d,]+ points/s \\(limit 150\\)  0 rejected  ETA (\\d+m\\d\\ds|--)")
                .contains("at most 150 points/s").contains("Restored 360 points").contains("\r\033[K");
    }

    @Test
    void aRestoreKilledSeveralTimesAndRerunWritesTheSelectionOnce(DevStack stack) throws Exception {
        List<Point> points = TestArchive.workload("it.resume", W, 240, 30); // 64,800 points
        Path archive = archive(points, W + 5 * HOUR);
        Path checkpoint = work.resolve("rejects.checkpoint");
        Tsd target = stack.tsd(RECOVERY);
        long addedBefore = pointsAdded(target);
        List<String> args = List.of("restore", "--archive", archive.toString(), "--from", Long.toString(W), "--to", Long.toString(W + 4 * HOUR),
                "--target", target.httpUrl().toString(), "--rejects", work.resolve("rejects.jsonl").toString(),
                "--batch-size", "300", "--parallelism", "2", "--json");
        for (int kill = 1; kill <= 3; kill++) {
            long before = Files.exists(checkpoint) ? Files.readAllLines(checkpoint).size() : 0;
            Process restore = restoreProcess(args);
            long wanted = before + 8;
            Await.until("the restore to acknowledge more batches", Duration.ofSeconds(60), () -> assertThat(restore.isAlive()).isTrue(),
                    () -> Files.exists(checkpoint) && Files.readAllLines(checkpoint).size() >= wanted);
            restore.destroyForcibly().waitFor();
        }
        Process last = restoreProcess(args);
        String output = new String(last.getInputStream().readAllBytes());
        assertThat(last.waitFor()).as(output).isZero();

        JsonNode summary = JSON.readTree(output);
        assertThat(summary.get("pointsRestoredInAllRuns").asLong()).isEqualTo(points.size());
        // By the TSD's own count, every point reached it (batches a killed run had sent but not recorded are sent again).
        assertThat(pointsAdded(target) - addedBefore).as("points the TSD stored over all runs").isGreaterThanOrEqualTo(points.size());
        assertThat(summary.get("pointsFromEarlierRuns").asLong()).isPositive();
        assertThat(summary.get("rejected").asLong()).isZero();
        assertThat(Files.readString(work.resolve("rejects.jsonl"))).isEmpty();
        for (String metric : List.of("it.resume.cpu", "it.resume.load", "it.resume.latency")) {
            assertThat(series(stack.tsd(RECOVERY), metric, W, W + 4 * HOUR)).isEqualTo(expected(points, metric, metric));
        }
    }

    @Test
    void aTargetThatAnswers503Then429ThenTimesOutIsRetriedAndTheRestoreEndsEqual(DevStack stack) throws Exception {
        List<Point> points = TestArchive.workload("it.retry", W, 30, 3);
        Path archive = archive(points, W + HOUR);
        Tsd recovery = stack.tsd(RECOVERY);
        // In front of the real TSD: the first request gets 503, the second 429, the third no answer within the restore's
        // --timeout; every later one is passed to the TSD as it is.
        java.util.concurrent.atomic.AtomicInteger requests = new java.util.concurrent.atomic.AtomicInteger();
        com.sun.net.httpserver.HttpServer front = com.sun.net.httpserver.HttpServer.create(new java.net.InetSocketAddress("127.0.0.1", 0), 0);
        front.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
        java.net.http.HttpClient client = java.net.http.HttpClient.newHttpClient();
        java.util.concurrent.CountDownLatch retried = new java.util.concurrent.CountDownLatch(1);
        front.createContext("/", exchange -> {
            int n = requests.incrementAndGet();
            if (n > 3) {
                retried.countDown();
            }
            byte[] body = exchange.getRequestBody().readAllBytes();
            try {
                if (n == 1 || n == 2) {
                    byte[] error = "{\"error\":{\"message\":\"busy\"}}".getBytes();
                    exchange.sendResponseHeaders(n == 1 ? 503 : 429, error.length);
                    exchange.getResponseBody().write(error);
                    return;
                }
                if (n == 3) {
                    // No answer until the restore has given up on this one and sent the batch again.
                    assertThat(retried.await(2, java.util.concurrent.TimeUnit.MINUTES)).as("the restore sent the batch again").isTrue();
                }
                java.net.http.HttpRequest.Builder forward = java.net.http.HttpRequest.newBuilder(
                        recovery.httpUrl().resolve(exchange.getRequestURI().toString())).POST(java.net.http.HttpRequest.BodyPublishers.ofByteArray(body));
                exchange.getRequestHeaders().forEach((name, values) -> {
                    if (name.equalsIgnoreCase("Content-Type") || name.equalsIgnoreCase("Content-Encoding")) {
                        values.forEach(v -> forward.header(name, v));
                    }
                });
                java.net.http.HttpResponse<byte[]> answer = client.send(forward.build(), java.net.http.HttpResponse.BodyHandlers.ofByteArray());
                exchange.sendResponseHeaders(answer.statusCode(), answer.body().length == 0 ? -1 : answer.body().length);
                exchange.getResponseBody().write(answer.body());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (IOException gone) {
                // the restore stopped waiting for this answer
            } finally {
                exchange.close();
            }
        });
        front.start();
        try {
            CliRun run = CliRun.of("restore", "--archive", archive.toString(), "--from", Long.toString(W), "--to", Long.toString(W + HOUR),
                    "--target", "http://127.0.0.1:" + front.getAddress().getPort(), "--rejects", work.resolve("rejects.jsonl").toString(),
                    "--batch-size", "100000", "--parallelism", "1", "--max-attempts", "5", "--timeout", "1s");
            assertThat(run.exitCode()).as(run.out() + run.err()).isZero();
            assertThat(run.out()).contains("; 3 retries.");
        } finally {
            front.stop(0);
        }
        for (String metric : List.of("it.retry.cpu", "it.retry.load", "it.retry.latency")) {
            assertThat(series(recovery, metric, W, W + HOUR)).isEqualTo(expected(points, metric, metric));
        }
    }

    @Test
    void anExportLoadedWithOpenTsdbsOwnImportGivesBackTheSourcesSeries(DevStack stack) throws IOException {
        List<Point> points = TestArchive.workload("it.export", W, 30, 3); // integers, floats, second and millisecond timestamps
        Path archive = archive(points, W + HOUR);
        Path file = work.resolve("export.txt.gz");
        CliRun export = CliRun.of("export", "--archive", archive.toString(), "--from", Long.toString(W), "--to", Long.toString(W + HOUR),
                "-o", file.toString());
        assertThat(export.exitCode()).as(export.out() + export.err()).isZero();
        Tsd recovery = stack.tsd(RECOVERY);

        recovery.importFile(file, Duration.ofMinutes(2));

        for (String metric : List.of("it.export.cpu", "it.export.load", "it.export.latency")) {
            // OpenTSDB's import stores every non-integer on 4 bytes (a float), where its put keeps a double: compared as floats.
            assertThat(asFloats(series(recovery, metric, W, W + HOUR))).as(metric).isEqualTo(asFloats(expected(points, metric, metric)));
        }
    }

    /** Values as a 4-byte float holds them, in the same text form. */
    private static Map<String, Map<Long, String>> asFloats(Map<String, Map<Long, String>> series) {
        Map<String, Map<Long, String>> out = new TreeMap<>();
        series.forEach((tags, points) -> {
            Map<Long, String> floats = new TreeMap<>();
            points.forEach((t, v) -> floats.put(t, v.contains(".") ? Float.toString(Float.parseFloat(v)) : v));
            out.put(tags, floats);
        });
        return out;
    }

    @Test
    void pointsATargetRefusesGoToTheRejectFileWithTheirReason(DevStack stack) throws IOException {
        // A TSD that creates no metrics and takes no chunked bodies: restore must split its batches.
        Tsd strict = stack.tsd("strict", Map.of("tsd.core.auto_create_metrics", "false", "tsd.http.request.enable_chunked", "false"));
        TsdClient client = TsdClient.of(strict);
        assertThat(client.get("/api/uid/assign?metric=it.strict.cpu,it.strict.load").status()).isEqualTo(200);
        List<Point> points = TestArchive.workload("it.strict", W, 30, 3);
        Path archive = archive(points, W + HOUR);
        Path rejects = work.resolve("rejects.jsonl");

        CliRun run = CliRun.of("restore", "--archive", archive.toString(), "--from", Long.toString(W), "--to", Long.toString(W + HOUR),
                "--target", strict.httpUrl().toString(), "--rejects", rejects.toString(), "--batch-size", "2000");

        assertThat(run.exitCode()).as(run.out() + run.err()).isEqualTo(1);
        List<JsonNode> lines = new ArrayList<>();
        for (String line : Files.readAllLines(rejects)) {
            lines.add(JSON.readTree(line));
        }
        long unknown = points.stream().filter(p -> p.getMetric().equals("it.strict.latency")).count();
        assertThat(lines).hasSize((int) unknown).allSatisfy(line -> {
            assertThat(line.get("datapoint").get("metric").asText()).isEqualTo("it.strict.latency");
            assertThat(line.get("error").asText()).isEqualTo("Unknown metric");
        });
        assertThat(lines.stream().map(l -> l.get("datapoint").get("timestamp").asLong() + "" + l.get("datapoint").get("tags")).distinct())
                .hasSize((int) unknown);
        for (String metric : List.of("it.strict.cpu", "it.strict.load")) {
            assertThat(series(strict, metric, W, W + HOUR)).isEqualTo(expected(points, metric, metric));
        }
    }

    @Test
    void aRestoreIntoStorageStoresWhatTheClusterStoredThroughItsTsd(DevStack stack) throws IOException {
        List<Point> points = TestArchive.workload("it.storage", W, 60, 4); // integers, floats, second and millisecond timestamps
        write(stack.tsd(PRODUCTION), points);
        Path archive = archive(points, W + 2 * HOUR);
        Tsd recovery = stack.tsd(RECOVERY);

        CliRun run = CliRun.of("restore", "--archive", archive.toString(), "--from", Long.toString(W), "--to", Long.toString(W + HOUR),
                "--storage-config", recovery.configFile().toString(), "--target", recovery.httpUrl().toString(),
                "--rejects", work.resolve("rejects.jsonl").toString(), "--batch-size", "700", "--parallelism", "3", "--verify");

        assertThat(run.exitCode()).as(run.out() + run.err()).isZero();
        assertThat(run.out()).contains("into the tables of " + recovery.configFile()).contains("Verified: the target holds exactly the archive's");
        for (String metric : List.of("it.storage.cpu", "it.storage.load", "it.storage.latency")) {
            Map<String, Map<Long, String>> production = series(stack.tsd(PRODUCTION), metric, W, W + HOUR - 1);
            assertThat(production).isEqualTo(expected(points, metric, metric));
            assertThat(series(recovery, metric, W, W + HOUR - 1)).isEqualTo(production);
        }
        assertThat(Files.readString(work.resolve("rejects.jsonl"))).isEmpty();
    }

    @Test
    void pointsTheClustersStorageRefusesGoToTheRejectFileWithTheTsdsReason(DevStack stack) throws IOException {
        Tsd strict = stack.tsd("strict", Map.of("tsd.core.auto_create_metrics", "false", "tsd.http.request.enable_chunked", "false"));
        assertThat(TsdClient.of(strict).get("/api/uid/assign?metric=it.strictstore.cpu,it.strictstore.load").status()).isEqualTo(200);
        List<Point> points = TestArchive.workload("it.strictstore", W, 30, 3);
        Path archive = archive(points, W + HOUR);
        Path rejects = work.resolve("rejects.jsonl");

        CliRun run = CliRun.of("restore", "--archive", archive.toString(), "--from", Long.toString(W), "--to", Long.toString(W + HOUR),
                "--storage-config", strict.configFile().toString(), "--rejects", rejects.toString());

        assertThat(run.exitCode()).as(run.out() + run.err()).isEqualTo(1);
        long unknown = points.stream().filter(p -> p.getMetric().equals("it.strictstore.latency")).count();
        List<JsonNode> lines = new ArrayList<>();
        for (String line : Files.readAllLines(rejects)) {
            lines.add(JSON.readTree(line));
        }
        assertThat(lines).hasSize((int) unknown).allSatisfy(line -> {
            assertThat(line.get("datapoint").get("metric").asText()).isEqualTo("it.strictstore.latency");
            assertThat(line.get("error").asText()).isEqualTo("Unknown metric");
        });
        for (String metric : List.of("it.strictstore.cpu", "it.strictstore.load")) {
            assertThat(series(strict, metric, W, W + HOUR)).isEqualTo(expected(points, metric, metric));
        }
    }

    private Process restoreProcess(List<String> args) throws IOException {
        return restoreProcess(work, args);
    }

    /** The command line in a JVM of its own, in {@code work}: a process a test can kill. */
    static Process restoreProcess(Path work, List<String> args) throws IOException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "io.rewind.cli.RewindCli"));
        command.addAll(args);
        return new ProcessBuilder(command).directory(work.toFile()).redirectError(work.resolve("restore-stderr.log").toFile()).start();
    }

    private Path archive(List<Point> points, long ingestMs) throws IOException {
        Path dir = work.resolve("archive");
        try (LocalStorage storage = new LocalStorage(dir)) {
            new TestArchive(storage, 3).commit(TestArchive.ingestedAt(points, ingestMs));
        }
        return dir;
    }

    /** Writes the points to a TSD as a collector would, over HTTP, and waits until they are stored. */
    static void write(Tsd tsd, List<Point> points) {
        TsdClient client = TsdClient.of(tsd);
        for (int i = 0; i < points.size(); i += 2000) {
            ArrayNode array = JSON.createArrayNode();
            for (Point p : points.subList(i, Math.min(points.size(), i + 2000))) {
                var node = array.addObject().put("metric", p.getMetric()).put("timestamp",
                        p.getPrecision() == TimestampPrecision.SECONDS ? p.getTimestampMs() / 1000 : p.getTimestampMs());
                if (p.getValue() instanceof Long l) {
                    node.put("value", l);
                } else {
                    node.put("value", (Double) p.getValue());
                }
                var tags = node.putObject("tags");
                p.getTags().forEach(tags::put);
            }
            TsdClient.Response response = client.post("/api/put?sync&details", array.toString(), true);
            assertThat(response.status()).as(response.body()).isIn(200, 204);
        }
    }

    /**
     * The points the TSD has stored since it started, by its own count ({@code tsd.datapoints.added} of {@code /api/stats}):
     * where a duplicate write shows, which a query cannot (the TSD absorbs an identical rewrite).
     */
    static long pointsAdded(Tsd tsd) {
        for (JsonNode stat : TsdClient.of(tsd).get("/api/stats").json()) {
            if (stat.path("metric").asText().equals("tsd.datapoints.added")) {
                return stat.path("value").asLong();
            }
        }
        throw new AssertionError("the TSD's /api/stats has no tsd.datapoints.added");
    }

    /** Every series of the metric in {@code [start, end]} (inclusive, as OpenTSDB queries): tags to (ms timestamp to value). */
    static Map<String, Map<Long, String>> series(Tsd tsd, String metric, long start, long end) {
        return TsdClient.of(tsd).query(metric, start, end).stream()
                .filter(s -> !s.points().isEmpty()) // a series with points elsewhere in the hour comes back empty
                .collect(Collectors.toMap(
                s -> new TreeMap<>(s.tags()).toString(),
                s -> s.points().entrySet().stream().collect(Collectors.toMap(Map.Entry::getKey, e -> number(e.getValue().toString()),
                        (a, b) -> a, TreeMap::new)),
                (a, b) -> a, TreeMap::new));
    }

    /** What /api/query should return for a metric of the dataset, under another name. */
    static Map<String, Map<Long, String>> expected(List<Point> points, String metric, String asMetric) {
        Map<String, Map<Long, String>> expected = new TreeMap<>();
        points.stream().filter(p -> p.getMetric().equals(metric)).forEach(p -> expected
                .computeIfAbsent(new TreeMap<>(p.getTags()).toString(), k -> new TreeMap<>())
                .put(p.getTimestampMs(), valueText(p.getValue())));
        return expected;
    }

    /** A value as a number, whatever the notation: OpenTSDB's query may answer 3.0 for an integer 3 in a mixed series. */
    private static String valueText(Object value) {
        return number(value.toString());
    }

    private static String number(String text) {
        return new java.math.BigDecimal(text).stripTrailingZeros().toPlainString();
    }
}
