package io.rewind.quickstart;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.rewind.devstack.Tsd;
import io.rewind.devstack.TsdClient;
import io.rewind.cli.RewindCli;
import io.rewind.service.TimeArgs;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;

/**
 * The quickstart's story on a running pipeline: collectors write through the tap; a bad writer then
 * overwrites a metric with garbage; once the archive holds every point written, the restorer brings
 * back the range as of just before the incident into the recovery TSD, verified two ways: by the
 * restorer ({@code --verify}, the target against the archive) and against what the production TSD
 * held just before the incident.
 */
final class Story {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration TSD_WAIT = Duration.ofSeconds(30);

    /** How long each part of the workload lasts, and how long the archive may take. */
    record Timing(Duration workload, Duration incident, Duration archiveTimeout) {
    }

    /** Everything the summary shows. */
    record Result(long pointsSent, long telnetPoints, long httpPoints, long httpRequests, long garbagePoints, long pointsInKafka,
            long pointsArchived, Pipeline.ArchiveSize archive, Pipeline.Delay delay, long asOfMs, long fromMs, long toMs,
            TsdData beforeIncident, long damagedPoints, TsdData recovery, List<String> recoveryDifferences, JsonNode restore,
            int restoreExit, String restoreErrors, List<String> restoreCommand, Map<String, Long> phaseMs) {

        /** The restorer verified the target against the archive, and the recovery TSD holds what production held before the incident. */
        boolean verified() {
            return restoreExit == RewindCli.OK && restore != null && restore.path("verification").path("equal").asBoolean(false)
                    && recoveryDifferences.isEmpty() && recovery.points() > 0;
        }

        long pointsRestored() {
            return restore == null ? 0 : restore.path("pointsSent").asLong() - restore.path("rejected").asLong();
        }
    }

    private final Pipeline pipeline;
    private final Tsd production;
    private final Tsd recovery;
    private final Path dir;
    private final Timing timing;
    private final PrintWriter out;
    private final Map<String, Long> phaseMs = new LinkedHashMap<>();

    Story(Pipeline pipeline, Tsd production, Tsd recovery, Path dir, Timing timing, PrintWriter out) {
        this.pipeline = pipeline;
        this.production = production;
        this.recovery = recovery;
        this.dir = dir;
        this.timing = timing;
        this.out = out;
    }

    Result run() throws Exception {
        long startMs = (System.currentTimeMillis() / 1000 + 1) * 1000;
        int workloadTicks = (int) Math.max(2, timing.workload().toSeconds());
        int incidentTicks = (int) Math.max(1, timing.incident().toSeconds());
        TsdClient productionClient = TsdClient.of(production);
        try (Workload workload = new Workload("127.0.0.1", pipeline.tap().port(), startMs)) {
            long fromMs = startMs - 60_000;
            long toMs = startMs + (workloadTicks + incidentTicks) * 1000L + 60_000;

            say("Writing through the tap for %d s: %d telnet collectors (tcollector-like) and %d HTTP collectors (scollector-like, gzip), %d series ...",
                    workloadTicks, Workload.TELNET_HOSTS, Workload.HTTP_HOSTS, Workload.SERIES);
            long phase = System.nanoTime();
            for (int k = 0; k < workloadTicks; k++) {
                workload.tick(false);
                if ((k + 1) % 15 == 0 || k + 1 == workloadTicks) {
                    say("  %3d s: %,d points sent, %,d in Kafka, %,d archived", k + 1, workload.pointsSent(), pipeline.pointsInKafka(),
                            pipeline.pointsArchived());
                }
            }
            workload.barrier();
            long asOfMs = System.currentTimeMillis();
            while (System.currentTimeMillis() <= asOfMs) {
                Thread.onSpinWait(); // every later point gets a later ingest time than the as-of
            }
            TsdData before = TsdData.await(productionClient, Workload.METRICS, fromMs, toMs, Workload.goodPoints(workloadTicks), TSD_WAIT);
            phaseMs.put("workload", elapsedMs(phase));
            say("Production holds %,d points in %,d series at %s: the moment to restore.", before.points(), before.series().size(),
                    TimeArgs.format(asOfMs));

            phase = System.nanoTime();
            say("Incident: a bad deploy overwrites %s on every host with garbage, back to the first point, for %d s ...",
                    Workload.DAMAGED_METRIC, incidentTicks);
            for (int k = 0; k < incidentTicks; k++) {
                workload.tick(true);
            }
            workload.barrier();
            TsdData after = TsdData.await(productionClient, Workload.METRICS, fromMs, toMs, Workload.goodPoints(workload.ticks()), TSD_WAIT);
            long damaged = before.changedIn(after);
            phaseMs.put("incident", elapsedMs(phase));
            say("Production now has %,d points of %s overwritten with garbage.", damaged, Workload.DAMAGED_METRIC);

            phase = System.nanoTime();
            awaitArchive(workload.pointsSent());
            phaseMs.put("archive wait", elapsedMs(phase));

            phase = System.nanoTime();
            List<String> command = restoreCommand(fromMs, toMs, asOfMs);
            say("Restoring as of %s into the recovery TSD, with --verify:%n  bin/rewind %s", TimeArgs.format(asOfMs), String.join(" ", command));
            StringWriter restoreOut = new StringWriter();
            StringWriter restoreErr = new StringWriter();
            CommandLine cli = RewindCli.commandLine();
            cli.setOut(new PrintWriter(restoreOut, true));
            cli.setErr(new PrintWriter(restoreErr, true));
            int exit = cli.execute(command.toArray(String[]::new));
            JsonNode restore = exit == RewindCli.OK || exit == RewindCli.PROBLEMS ? JSON.readTree(restoreOut.toString()) : null;
            phaseMs.put("restore + verify", elapsedMs(phase));

            TsdData recovered = TsdData.await(TsdClient.of(recovery), Workload.METRICS, fromMs, toMs, before.points(), TSD_WAIT);
            List<String> differences = before.differences(recovered);
            return new Result(workload.pointsSent(), workload.telnetPoints(), workload.httpPoints(), workload.httpRequests(),
                    workload.garbagePoints(), pipeline.pointsInKafka(), pipeline.pointsArchived(), pipeline.archiveSize(),
                    pipeline.delay(), asOfMs, fromMs, toMs, before, damaged, recovered, differences, restore, exit,
                    restoreErr.toString(), command, phaseMs);
        }
    }

    /** The restore, as a user types it after {@code bin/rewind}. */
    private List<String> restoreCommand(long fromMs, long toMs, long asOfMs) {
        Path restoreDir = dir.resolve("restore");
        return List.of("restore", "--archive", pipeline.archiveDir().toString(), "--topic", Pipeline.TOPIC,
                "--from", TimeArgs.format(fromMs), "--to", TimeArgs.format(toMs), "--as-of", TimeArgs.format(asOfMs),
                "--target", recovery.httpUrl().toString(),
                "--verify", "--json", "--fresh", "--rejects", restoreDir.resolve("rejects.jsonl").toString());
    }

    /** Waits until Kafka has every point sent and the archiver has written every one durably, showing the lag. */
    private void awaitArchive(long sent) throws InterruptedException {
        say("Waiting for the archive to hold all %,d points (the archiver commits every %d s) ...", sent,
                pipeline.commitInterval().toSeconds());
        long deadline = System.nanoTime() + timing.archiveTimeout().toNanos();
        long lastShown = 0;
        while (pipeline.pointsInKafka() < sent || pipeline.pointsArchived() < sent) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(String.format("After %d s the archive holds %,d of %,d points (%,d in Kafka)",
                        timing.archiveTimeout().toSeconds(), pipeline.pointsArchived(), sent, pipeline.pointsInKafka()));
            }
            if (System.nanoTime() - lastShown > 2_000_000_000L) {
                lastShown = System.nanoTime();
                say("  %,d in Kafka, %,d archived: lag %,d points", pipeline.pointsInKafka(), pipeline.pointsArchived(),
                        sent - pipeline.pointsArchived());
            }
            Thread.sleep(100); // polling the components' counters
        }
        say("  %,d in Kafka, %,d archived: lag 0", pipeline.pointsInKafka(), pipeline.pointsArchived());
    }

    private void say(String format, Object... args) {
        out.printf(format + "%n", args);
        out.flush();
    }

    private static long elapsedMs(long startNanos) {
        return (System.nanoTime() - startNanos) / 1_000_000;
    }
}
