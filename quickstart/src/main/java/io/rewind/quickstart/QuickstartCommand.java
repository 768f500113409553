package io.rewind.quickstart;

import io.rewind.devstack.DevStack;
import io.rewind.devstack.Tsd;
import io.rewind.service.TimeArgs;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code rewind quickstart}: the whole pipeline on a fresh dev stack, an incident, and a verified
 * point-in-time restore. Exit code 0 only when the verification passed.
 */
@Command(name = "quickstart", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Starts Kafka, HBase and two OpenTSDB TSDs (production, recovery), the tap in front of production and the",
                "archiver into a local directory; writes through the tap like collectors do; overwrites a metric with garbage",
                "(the incident); waits for the archive; restores the range as of just before the incident into recovery,",
                "verified; prints a summary. Exit code 0 only when recovery holds exactly what production held before the incident."})
public final class QuickstartCommand implements Callable<Integer> {
    @Option(names = "--dir", defaultValue = ".rewind/quickstart",
            description = "Directory of everything it starts and writes; emptied first (default: ${DEFAULT-VALUE}).")
    Path dir;

    @Option(names = "--workload", defaultValue = "45s", paramLabel = "DURATION",
            description = "How long the collectors write before the incident (default: ${DEFAULT-VALUE}).")
    String workload;

    @Option(names = "--incident", defaultValue = "15s", paramLabel = "DURATION",
            description = "How long the bad writer writes garbage (default: ${DEFAULT-VALUE}).")
    String incident;

    @Option(names = "--commit-interval", defaultValue = "10s", paramLabel = "DURATION",
            description = "The archiver's commit.interval.ms: how often it writes parts (default here: ${DEFAULT-VALUE}; the archiver's own: 30s).")
    String commitInterval;

    @Option(names = "--keep-running", description = "Leave everything running afterwards and print the endpoints, until Ctrl-C.")
    boolean keepRunning;

    @Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(new CommandLine(new QuickstartCommand()).setExecutionExceptionHandler((e, cli, parsed) -> {
            String message = e.getMessage() == null ? e.toString() : e.getMessage();
            cli.getErr().println("rewind quickstart: " + (message.length() > 600 ? message.substring(0, 600) + " ..." : message));
            cli.getErr().println("The servers' and components' logs are under the quickstart's directory (logs/, stack/*/logs/).");
            return 3;
        }).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        Path home = dir.toAbsolutePath().normalize();
        Story.Timing timing = new Story.Timing(Duration.ofMillis(TimeArgs.parseDuration(workload)),
                Duration.ofMillis(TimeArgs.parseDuration(incident)), Duration.ofMinutes(5));
        Duration commit = Duration.ofMillis(TimeArgs.parseDuration(commitInterval));
        DevStack.deleteRecursively(home);
        Files.createDirectories(home.resolve("logs"));
        // Before the first logger: the components log into a file, the terminal shows the story.
        System.setProperty("rewind.quickstart.log", home.resolve("logs").resolve("rewind.log").toString());
        System.setProperty("logback.configurationFile", "io/rewind/quickstart/quickstart-logback.xml");

        long started = System.nanoTime();
        out.printf("Rewind quickstart in %s%nStarting Kafka, HBase and the TSDs production and recovery ...%n", home);
        out.flush();
        Resources running = new Resources();
        Thread stopper = new Thread(running::close, "rewind-quickstart-stop");
        Runtime.getRuntime().addShutdownHook(stopper); // Ctrl-C stops every process the quickstart started
        long phase = System.nanoTime();
        running.stack = DevStack.start(home.resolve("stack"), List.of("production", "recovery"), true);
        long stackMs = (System.nanoTime() - phase) / 1_000_000;
        Tsd production = running.stack.tsd("production");
        Tsd recovery = running.stack.tsd("recovery");
        phase = System.nanoTime();
        running.pipeline = Pipeline.start(running.stack, production, home, commit);
        long pipelineMs = (System.nanoTime() - phase) / 1_000_000;
        out.printf("Up in %.1f s: tap on 127.0.0.1:%d in front of production, archiver into %s%n", (System.nanoTime() - started) / 1e9,
                running.pipeline.tap().port(), running.pipeline.archiveDir());
        out.flush();

        Story.Result result = new Story(running.pipeline, production, recovery, home, timing, out).run();
        Map<String, Long> phases = new java.util.LinkedHashMap<>();
        phases.put("servers", stackMs);
        phases.put("tap + archiver", pipelineMs);
        phases.putAll(result.phaseMs());
        summary(out, result, running, home, phases, (System.nanoTime() - started) / 1_000_000);

        if (keepRunning) {
            out.printf("%nStill running (Ctrl-C stops everything):%n%s", endpoints(running));
            out.flush();
            new CountDownLatch(1).await();
        }
        running.close();
        Runtime.getRuntime().removeShutdownHook(stopper);
        return result.verified() ? 0 : 1;
    }

    private static void summary(PrintWriter out, Story.Result r, Resources running, Path home, Map<String, Long> phases, long totalMs) {
        out.println();
        out.println(r.verified() ? "VERIFIED: 'rewind changes' found the incident, and the recovery TSD holds exactly what production held of "
                + String.join(", ", r.restoredMetrics()) + " before it." : "NOT VERIFIED: see the differences below.");
        out.printf("  written through the tap  %,d points: %,d telnet lines on %d connections, %,d in %,d gzip'ed HTTP batches;"
                + " %,d of them the incident's garbage%n", r.pointsSent(), r.telnetPoints() + r.garbagePoints(), Workload.TELNET_HOSTS + 1,
                r.httpPoints(), r.httpRequests(), r.garbagePoints());
        out.printf("  in Kafka                 %,d points (acknowledged to the tap)%n", r.pointsInKafka());
        out.printf("  archived                 %,d points in %d files, %,d bytes: %.1f bytes/point (parts of %d s; closed windows are"
                + " compacted into segments)%n", r.pointsArchived(), r.archive().files(), r.archive().bytes(),
                r.pointsArchived() == 0 ? 0.0 : (double) r.archive().bytes() / r.pointsArchived(), running.pipeline.commitInterval().toSeconds());
        out.printf(Locale.ROOT, "  write -> archive delay   mean %.1f s, max %.1f s, 99%% within %.0f s (archiver commit interval %d s)%n",
                r.delay().meanSeconds(), r.delay().maxSeconds(), r.delay().p99AtMostSeconds(), running.pipeline.commitInterval().toSeconds());
        out.printf("  the incident             %,d points of %s overwritten in production%n", r.damagedPoints(), Workload.DAMAGED_METRIC);
        out.printf("  found by 'rewind changes' the garbage began at %s (the collectors' last good tick was handled at %s)%n",
                TimeArgs.format(r.asOfMs() + 1), TimeArgs.format(r.workloadEndMs()));
        out.printf("  restored                 %,d points of %s as of %s into recovery%n", r.pointsRestored(), String.join(", ", r.restoredMetrics()),
                TimeArgs.format(r.asOfMs()));
        if (r.restore() != null && r.restore().has("verification")) {
            var v = r.restore().path("verification");
            out.printf("  restorer's --verify      %s: %,d series, %,d points in the target against the archive%n",
                    v.path("equal").asBoolean() ? "equal" : "DIFFERENT (" + v.path("mismatches").size() + " series)", v.path("series").asLong(),
                    v.path("points").asLong());
        } else {
            out.printf("  restorer                 exit code %d: %s%n", r.restoreExit(), r.restoreErrors().strip());
        }
        out.printf("  recovery vs production   %s: %,d series, %,d points before the incident, %,d in recovery%n",
                r.recoveryDifferences().isEmpty() ? "equal" : r.recoveryDifferences().size() + " points DIFFER",
                r.beforeIncidentOfRestored().series().size(), r.beforeIncidentOfRestored().points(), r.recovery().points());
        r.recoveryDifferences().stream().limit(10).forEach(d -> out.println("    " + d));
        StringBuilder times = new StringBuilder();
        phases.forEach((name, ms) -> times.append(times.length() == 0 ? "" : ", ").append(name).append(' ').append(seconds(ms)));
        out.printf("  time                     %s; total %s%n", times, seconds(totalMs));
        out.printf("  files                    %s: archive/, tap.properties, archiver.properties, restore/, logs/rewind.log, stack/ (servers)%n",
                home);
        out.println();
        out.println("Each step by hand (this run's ports; 'bin/rewind dev up' starts the servers):");
        out.printf("  bin/rewind tap --config %s%n", running.pipeline.tapConfig());
        out.printf("  bin/rewind archiver --config %s%n", running.pipeline.archiverConfig());
        out.printf("  bin/rewind list --archive %s%n", running.pipeline.archiveDir());
        out.printf("  bin/rewind verify --archive %s%n", running.pipeline.archiveDir());
        out.printf("  bin/rewind %s%n", String.join(" ", r.changesCommand()));
        out.printf("  bin/rewind %s%n", String.join(" ", r.restoreCommand()).replace(" --json", ""));
        out.flush();
    }

    private static String endpoints(Resources running) {
        return running.stack.describe()
                + String.format("%-22s 127.0.0.1:%d  (telnet and HTTP, in front of production)%n", "Rewind tap", running.pipeline.tap().port())
                + String.format("%-22s http://127.0.0.1:%d/metrics%n", "Tap metrics", running.pipeline.tap().adminPort())
                + String.format("%-22s http://127.0.0.1:%d/metrics%n", "Archiver metrics", running.pipeline.archiver().adminPort())
                + String.format("%-22s %s%n", "Archive", running.pipeline.archiveDir());
    }

    private static String seconds(long ms) {
        return ms >= 60_000 ? String.format("%d min %d s", ms / 60_000, ms % 60_000 / 1000) : String.format(Locale.ROOT, "%.1f s", ms / 1000.0);
    }

    /** What the quickstart started, stopped once, in reverse order, however it ends. */
    private static final class Resources {
        volatile DevStack stack;
        volatile Pipeline pipeline;
        private boolean closed;

        synchronized void close() {
            if (closed) {
                return;
            }
            closed = true;
            if (pipeline != null) {
                pipeline.close();
            }
            if (stack != null) {
                stack.close();
            }
        }
    }
}
