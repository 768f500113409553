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
 * overwrites a metric with garbage; once the archive holds every point written, {@code rewind changes}
 * finds when the garbage began and which metric it rewrote, and the restore it suggests brings that
 * metric back as of the millisecond before, into the recovery TSD, verified two ways: by the restorer
 * ({@code --verify}, the target against the archive) and against what the production TSD held just
 * before the incident.
 */
final class Story {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration TSD_WAIT = Duration.ofSeconds(30);

    /** How long each part of the workload lasts, and how long the archive may take. */
    record Timing(Duration workload, Duration incident, Duration archiveTimeout) {
    }

    /** Everything the summary shows. */
    record Result(long pointsSent, long telnetPoints, long httpPoints, long httpRequests, long garbagePoints, long pointsInKafka,
            long pointsArchived, Pipeline.ArchiveSize archive, Pipeline.Delay delay, long workloadEndMs, long asOfMs, long fromMs, long toMs,
            TsdData beforeIncident, long damagedPoints, List<String> changesCommand, String changes, List<String> restoredMetrics,
            TsdData recovery, List<String> recoveryDifferences, JsonNode restore, int restoreExit, String restoreErrors,
            List<String> restoreCommand, Map<String, Long> phaseMs) {

        /** What production held before the incident, of the metrics the suggested restore brings back. */
        TsdData beforeIncidentOfRestored() {
            return beforeIncident.filter(s -> restoredMetrics.contains(s.metric()));
        }

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
            long workloadEndMs = System.currentTimeMillis();
            TsdData before = TsdData.await(productionClient, Workload.METRICS, fromMs, toMs, Workload.goodPoints(workloadTicks), TSD_WAIT);
            phaseMs.put("workload", elapsedMs(phase));
            say("Production holds %,d points in %,d series.", before.points(), before.series().size());

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
            say("Production now has %,d points of %s overwritten with garbage. As of when to restore? The archive knows.", damaged,
                    Workload.DAMAGED_METRIC);

            phase = System.nanoTime();
            awaitArchive(workload.pointsSent());
            phaseMs.put("archive wait", elapsedMs(phase));

            phase = System.nanoTime();
            List<String> changesCommand = List.of("changes", "--archive", pipeline.archiveDir().toString(), "--topic", Pipeline.TOPIC,
                    "--from", TimeArgs.format(startMs - 60_000), "--metric", String.join(",", Workload.METRICS), "--target",
                    recovery.httpUrl().toString());
            say("What changed since the collectors started, and when:%n  bin/rewind %s", String.join(" ", changesCommand));
            Cli changes = Cli.run(changesCommand);
            say("%s", changes.out().strip().indent(4).stripTrailing());
            Cli changesJson = Cli.run(concat(changesCommand, List.of("--json")));
            JsonNode suggestion = changes.exit() == RewindCli.OK && changesJson.exit() == RewindCli.OK
                    ? JSON.readTree(changesJson.out()).path("suggestion") : JSON.missingNode();
            if (!suggestion.has("command")) {
                throw new IllegalStateException("rewind changes suggested no restore (exit " + changes.exit() + "): " + changes.out()
                        + changes.err());
            }
            List<String> restoredMetrics = new java.util.ArrayList<>();
            suggestion.path("metrics").forEach(m -> restoredMetrics.add(m.asText()));
            List<String> suggested = new java.util.ArrayList<>();
            suggestion.path("command").forEach(a -> suggested.add(a.asText()));
            List<String> command = concat(suggested, List.of("--json", "--fresh", "--rejects", dir.resolve("restore").resolve("rejects.jsonl").toString()));
            long asOfMs = suggestion.path("asOfMs").asLong();
            phaseMs.put("changes", elapsedMs(phase));

            phase = System.nanoTime();
            say("Restoring what it suggests, into the recovery TSD:%n  bin/rewind %s", String.join(" ", command));
            Cli restored = Cli.run(command);
            int exit = restored.exit();
            JsonNode restore = exit == RewindCli.OK || exit == RewindCli.PROBLEMS ? JSON.readTree(restored.out()) : null;
            phaseMs.put("restore + verify", elapsedMs(phase));

            TsdData expected = before.filter(s -> restoredMetrics.contains(s.metric()));
            TsdData recovered = TsdData.await(TsdClient.of(recovery), Workload.METRICS, fromMs, toMs, expected.points(), TSD_WAIT);
            List<String> differences = expected.differences(recovered);
            return new Result(workload.pointsSent(), workload.telnetPoints(), workload.httpPoints(), workload.httpRequests(),
                    workload.garbagePoints(), pipeline.pointsInKafka(), pipeline.pointsArchived(), pipeline.archiveSize(),
                    pipeline.delay(), workloadEndMs, asOfMs, fromMs, toMs, before, damaged, changesCommand, changes.out(), List.copyOf(restoredMetrics),
                    recovered, differences, restore, exit, restored.err(), command, phaseMs);
        }
    }

    /** A verb of the command line run in this JVM, as a user runs it after {@code bin/rewind}. */
    private record Cli(int exit, String out, String err) {
        static Cli run(List<String> arguments) {
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            CommandLine cli = RewindCli.commandLine();
            cli.setOut(new PrintWriter(out, true));
            cli.setErr(new PrintWriter(err, true));
            int exit = cli.execute(arguments.toArray(String[]::new));
            return new Cli(exit, out.toString(), err.toString());
        }
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> all = new java.util.ArrayList<>(a);
        all.addAll(b);
        return all;
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
