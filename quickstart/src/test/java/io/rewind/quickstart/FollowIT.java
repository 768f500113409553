package io.rewind.quickstart;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.rewind.archive.location.Storages;
import io.rewind.archiver.Archiver;
import io.rewind.archiver.ArchiverConfig;
import io.rewind.cli.RewindCli;
import io.rewind.devstack.DevStack;
import io.rewind.devstack.Tsd;
import io.rewind.devstack.TsdClient;
import io.rewind.devstack.junit.DevStackExtension;
import io.rewind.devstack.process.Await;
import io.rewind.service.TimeArgs;
import io.rewind.tap.Tap;
import io.rewind.tap.config.TapConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Staging fed live: {@code restore --follow} with {@code --rename-metric} and {@code --set-tag env=staging}, started as its
 * own process on a running pipeline (tap and archiver), into a staging TSD. Points written before its start (archived, and
 * in Kafka only), then new points and new versions of old ones, a SIGKILL of the follower and a restart, the staging TSD
 * stopped while points arrive and started again, a second follower of the group: staging then holds production's
 * selection, transformed, point for point, and the staging TSD's own count of the points it stored says that none was
 * written twice. A follower of another group writes straight into another cluster's HBase tables, as rows, to the same
 * result.
 */
@ExtendWith(DevStackExtension.class)
class FollowIT {
    private static final String METRIC = "follow.it";
    private static final String STAGED = "staged.follow.it";
    private static final String OTHER = "follow.other";
    private static final int HOSTS = 6;
    private static final String GROUP = "staging-follow-it";
    private static final Pattern ADMIN = Pattern.compile("metrics on http://127\\.0\\.0\\.1:(\\d+)/metrics");
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private final Path logs = Path.of(System.getProperty("rewind.it.dir", System.getProperty("java.io.tmpdir"))).resolveSibling("follow-it");
    private final long base = (System.currentTimeMillis() / 3_600_000 - 1) * 3_600_000; // the last hour's start

    @Test
    void stagingFollowsProductionsSelectionTransformedEveryPointOnce(DevStack stack) throws Exception {
        String topic = "follow-it";
        String archiverId = "rewind-follow-it";
        String bootstrap = stack.kafka().bootstrapServers();
        stack.kafka().createTopic(topic, 2, Map.of());
        // New versions of a point may take another width than the old ones: both TSDs keep the latest, as production's would.
        Tsd source = stack.tsd("follow-source", Map.of("tsd.storage.fix_duplicates", "true"));
        Tsd staging = stack.tsd("follow-staging", Map.of("tsd.storage.fix_duplicates", "true"));
        Path archive = dir.resolve("archive");
        ArchiverConfig config = Pipeline.archiverConfig(bootstrap, topic, archiverId, archive.toString(), dir.resolve("archiver-state"),
                Duration.ofSeconds(1));
        PrometheusMeterRegistry archiverMetrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        List<String> follow = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), RewindCli.class.getName(), "restore", "--archive", archive.toString(), "--topic",
                topic, "--from", TimeArgs.format(base), "--bootstrap-servers", bootstrap, "--archiver-id", archiverId, "--follow",
                "--group", GROUP, "--target", staging.httpUrl().toString(), "--metric", METRIC, "--rename-metric",
                "follow\\.it=" + STAGED, "--set-tag", "env=staging", "--rejects", dir.resolve("follow.rejects.jsonl").toString(),
                "--admin-host", "127.0.0.1", "--admin-port", "0", "--linger", "50ms");
        try (Tap tap = Tap.start(TapConfig.of(TapConfig.localSettings(bootstrap, topic, dir.resolve("spool"), "127.0.0.1:" + source.port())));
                Archiver archiver = Archiver.start(config, Storages.open(config.storage()), archiverMetrics)) {
            TsdClient production = new TsdClient("127.0.0.1", tap.port());
            // Before the follower: archived points of the selected metric and of another, then new versions and new points.
            int archived = put(production, METRIC, 0, 10, 0) + put(production, OTHER, 0, 10, 0);
            Await.until("the archiver to archive the first points", Duration.ofMinutes(2), () -> { },
                    () -> archiverMetrics.get("rewind.archiver.points.archived").counter().count() >= archived);
            put(production, METRIC, 7, 12, 100); // three new versions and two new points per host, archived or not yet
            long distinctBefore = HOSTS * 12L;

            Process first = start(follow, "first");
            long written;
            try {
                awaitStagingEquals(source, staging, first);
                assertThat(storedBy(staging)).as("phase one writes each point once, its last version").isEqualTo(distinctBefore);
                written = distinctBefore;

                // Live: new points and new versions of restored ones.
                written += put(production, METRIC, 12, 16, 0) + put(production, METRIC, 0, 3, 200);
                put(production, OTHER, 10, 12, 0);
                awaitStagingEquals(source, staging, first);
                assertThat(storedBy(staging)).isEqualTo(written);

                // Killed once its offsets are committed: nothing is in flight.
                awaitCommitted(stack, topic);
            } finally {
                first.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            }
            int whileKilled = put(production, METRIC, 16, 20, 0) + put(production, METRIC, 12, 14, 300); // while no follower runs
            written += whileKilled;
            // A follower of its own group straight into another cluster's HBase tables, as rows, from here on.
            Tsd rowsCluster = stack.tsd("follow-rows", Map.of("tsd.storage.fix_duplicates", "true"));
            List<String> intoRows = new ArrayList<>(follow);
            intoRows.set(intoRows.indexOf("--target") + 1, rowsCluster.configFile().toString());
            intoRows.set(intoRows.indexOf("--target"), "--storage-config");
            intoRows.set(intoRows.indexOf(GROUP), "rows-" + GROUP);
            intoRows.set(intoRows.indexOf(dir.resolve("follow.rejects.jsonl").toString()), dir.resolve("rows.rejects.jsonl").toString());
            Process rows = start(intoRows, "rows");
            Process second = start(follow, "second");
            try {
                awaitStagingEquals(source, staging, second);
                assertThat(Files.readString(logs.resolve("second.log"))).contains("the archive was restored by an earlier run");
                assertThat(storedBy(staging)).as("the restart continues from the committed offsets").isEqualTo(written);

                // The staging TSD away: batches are retried until it is back, never dropped.
                awaitCommitted(stack, topic);
                staging.stop();
                // New points only: a TSD that restarts compacts the rows it had queued, and which of two versions of one timestamp
                // it then reads depends on OpenTSDB's compaction timing, in production as in staging (rewrites are covered above).
                int whileDown = put(production, METRIC, 20, 24, 0);
                int adminPort = adminPort(logs.resolve("second.log"));
                Await.until("the follower to retry against the stopped staging TSD", Duration.ofMinutes(1), () -> checkAlive(second),
                        () -> metric(adminPort, "rewind_follow_write_retries_total") > 0);
                assertThat(metric(adminPort, "rewind_follow_target_up")).isZero();
                Await.until("the follower to count the records staging lacks", Duration.ofSeconds(10), () -> checkAlive(second),
                        () -> metric(adminPort, "rewind_follow_lag_records") == whileDown && metric(adminPort, "rewind_follow_lag_seconds") > 0);
                staging.start();
                awaitStagingEquals(source, staging, second);
                assertThat(storedBy(staging)).as("the restarted staging TSD stored exactly the points written while it was down")
                        .isEqualTo(whileDown);
                assertThat(metric(adminPort, "rewind_follow_points_written_total")).isEqualTo(whileKilled + whileDown);
                assertThat(metric(adminPort, "rewind_follow_points_rejected_total")).isZero();
                assertThat(metric(adminPort, "rewind_follow_records_lost_total")).isZero();
                Await.until("the lag to be gone", Duration.ofSeconds(30), () -> checkAlive(second),
                        () -> metric(adminPort, "rewind_follow_lag_records") == 0);

                // A second follower of the group shares its partitions: each new point is still written once.
                Process third = start(follow, "third");
                try {
                    Await.until("the second follower of the group to follow", Duration.ofMinutes(1), () -> checkAlive(third),
                            () -> ADMIN.matcher(Files.readString(logs.resolve("third.log"))).find());
                    int thirdPort = adminPort(logs.resolve("third.log"));
                    Await.until("the group to give each follower one partition", Duration.ofMinutes(1), () -> checkAlive(third),
                            () -> metric(thirdPort, "rewind_follow_partitions") == 1 && metric(adminPort, "rewind_follow_partitions") == 1);
                    int shared = put(production, METRIC, 24, 30, 0) + put(production, METRIC, 20, 22, 500);
                    awaitStagingEquals(source, staging, third);
                    awaitCommitted(stack, topic);
                    assertThat(storedBy(staging)).as("two followers of one group").isEqualTo(whileDown + shared);
                    assertThat(metric(thirdPort, "rewind_follow_points_written_total")).as("the second follower's share").isPositive();
                } finally {
                    third.destroy();
                    assertThat(third.waitFor(60, TimeUnit.SECONDS)).isTrue();
                }
                assertThat(Files.readString(logs.resolve("third.log"))).contains("Stopped. Following:");
                awaitStagingEquals(source, rowsCluster, rows);
            } finally {
                second.destroy(); // SIGTERM: writes and commits what it read, then exits
                rows.destroy();
                assertThat(second.waitFor(60, TimeUnit.SECONDS)).isTrue();
                assertThat(rows.waitFor(60, TimeUnit.SECONDS)).isTrue();
            }
            assertThat(Files.readString(logs.resolve("rows.log"))).contains("Following 'follow-it' into the tables of");
            // The group follows this selection into this target: another selection under its name is refused.
            List<String> other = new ArrayList<>(follow.subList(4, follow.size()));
            other.set(other.indexOf(METRIC), OTHER);
            other.set(other.indexOf(dir.resolve("follow.rejects.jsonl").toString()), dir.resolve("other.rejects.jsonl").toString());
            CliRun refused = CliRun.run(other);
            assertThat(refused.exit()).as(refused.out()).isEqualTo(RewindCli.FAILED);
            assertThat(refused.out()).contains("the group '" + GROUP + "' follows 'follow-it' with another selection");
            assertThat(Files.readString(logs.resolve("second.log"))).contains("Stopped. Following:");
            assertThat(TsdData.query(TsdClient.of(staging), List.of(OTHER), base, base + 7_200_000).points())
                    .as("a metric outside the selection").isZero();
        }
    }

    /** The follower as its own process, its output in the build's directory, kept for a failure's diagnosis. */
    private Process start(List<String> command, String name) throws IOException {
        Path log = logs.resolve(name + ".log");
        Files.createDirectories(logs);
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    /** Staging equals production's selection, renamed and tagged, point for point. */
    private void awaitStagingEquals(Tsd source, Tsd staging, Process follower) throws Exception {
        long from = base;
        long to = base + 7_200_000;
        TsdData expected = TsdData.query(TsdClient.of(source), List.of(METRIC), from, to).map(series -> {
            Map<String, String> tags = new TreeMap<>(series.tags());
            tags.put("env", "staging");
            return new TsdData.Series(STAGED, tags);
        }, 0);
        assertThat(expected.points()).isPositive();
        try {
            Await.until("staging to hold production's selection, transformed", Duration.ofMinutes(2), () -> checkAlive(follower),
                    () -> TsdData.query(TsdClient.of(staging), List.of(STAGED), from, to).equals(expected));
        } catch (IllegalStateException timedOut) {
            assertThat(TsdData.query(TsdClient.of(staging), List.of(STAGED), from, to)).as(timedOut.getMessage()).isEqualTo(expected);
            throw timedOut;
        }
    }

    /** The group's committed offsets are the partitions' ends: the target holds every record. */
    private static void awaitCommitted(DevStack stack, String topic) throws Exception {
        Await.until("the follower to commit every record", Duration.ofMinutes(1), () -> { }, () -> {
            var committed = stack.kafka().admin().listConsumerGroupOffsets(GROUP).partitionsToOffsetAndMetadata().get();
            for (int p = 0; p < 2; p++) {
                TopicPartition tp = new TopicPartition(topic, p);
                long end = stack.kafka().admin().listOffsets(Map.of(tp, OffsetSpec.latest())).all().get().get(tp).offset();
                if (committed.get(tp) == null || committed.get(tp).offset() != end) {
                    return false;
                }
            }
            return true;
        });
    }

    private void checkAlive(Process follower) {
        if (!follower.isAlive()) {
            throw new IllegalStateException("the follower exited " + follower.exitValue() + "; its log is in " + logs);
        }
    }

    /** Points the TSD has stored since it started, by its own count ({@code tsd.datapoints.added}). */
    private static long storedBy(Tsd tsd) throws IOException {
        for (JsonNode stat : TsdClient.of(tsd).get("/api/stats").json()) {
            if (stat.path("metric").asText().equals("tsd.datapoints.added")) {
                return stat.path("value").asLong();
            }
        }
        throw new AssertionError("no tsd.datapoints.added in " + tsd + "'s /api/stats");
    }

    private static int adminPort(Path log) throws IOException {
        Matcher m = ADMIN.matcher(Files.readString(log));
        assertThat(m.find()).as("the admin port in " + log).isTrue();
        return Integer.parseInt(m.group(1));
    }

    /** A metric's value on the follower's admin port. */
    private static double metric(int port, String name) {
        String text = new TsdClient("127.0.0.1", port).get("/metrics").body();
        for (String line : text.split("\n")) {
            if (line.startsWith(name + " ") || line.startsWith(name + "{")) {
                return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        throw new AssertionError(name + " is not among the follower's metrics");
    }

    /** Puts points {@code [first, last)} of every host through the tap, acknowledged once Kafka has them; values {@code value + i}. */
    private int put(TsdClient tap, String metric, int first, int last, int value) {
        StringBuilder body = new StringBuilder("[");
        int n = 0;
        for (int host = 0; host < HOSTS; host++) {
            for (int i = first; i < last; i++) {
                body.append(n++ == 0 ? "" : ",").append("{\"metric\":\"").append(metric).append("\",\"timestamp\":")
                        .append(base + i * 10_000L).append(",\"value\":").append(value + i).append(",\"tags\":{\"host\":\"h").append(host)
                        .append("\"}}");
            }
        }
        TsdClient.Response response = tap.post("/api/put?sync", body + "]", false);
        assertThat(response.status()).as(response.body()).isIn(200, 204);
        return n;
    }
}
