package io.rewind.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.rewind.archive.RateLimit;
import io.rewind.archive.storage.Storage;
import io.rewind.restore.check.Drill;
import io.rewind.restore.check.DrillMetrics;
import io.rewind.restore.check.TargetVerifier;
import io.rewind.restore.targets.HttpTarget;
import io.rewind.service.TimeArgs;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "drill", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Proves that the archive restores: restores a sample of it (the last full hour with data, and random older",
                "hours) into a scratch TSD and compares every series there with the archive, point by point. Exit 0 when",
                "all is equal, and when the archive holds no hour of the topic yet (said, with what to check); 1 when",
                "something differs. With --every, runs again and again, serving its results as Prometheus metrics."})
final class DrillCommand implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(DrillCommand.class);

    @Mixin
    ArchiveOptions archive;
    @Mixin
    TransformOptions transform;

    @Option(names = "--target", required = true, paramLabel = "URL",
            description = "The scratch TSD to restore into (http://tsd:4242); repeatable, for the TSDs of one cluster.")
    List<URI> targets = new ArrayList<>();

    @Option(names = "--metric", paramLabel = "NAME", split = ",", description = "Only these metrics: exact names or globs; repeatable.")
    List<String> metrics = new ArrayList<>();

    @Option(names = "--tag", paramLabel = "K=V", description = "Only series with this tag (exact, glob or *); repeatable.")
    Map<String, String> tags = new LinkedHashMap<>();

    @Option(names = "--sample", defaultValue = "2", paramLabel = "N",
            description = "Random older hours to restore besides the last full hour (default: ${DEFAULT-VALUE}).")
    int sample;

    @Option(names = "--seed", paramLabel = "N", description = "Draws the same hours as the drill printed with this seed. Default: a new one each run.")
    Long seed;

    @Option(names = "--every", paramLabel = "DURATION",
            description = "Keep running: a drill every DURATION (24h), with metrics on --admin-port. A failed drill does not stop it.")
    String every;

    @CommandLine.Mixin
    AdminPortOptions admin;

    @Option(names = "--json", description = "Print each drill's report as JSON.")
    boolean json;

    @Option(names = "--batch-size", defaultValue = "" + Defaults.BATCH_SIZE, paramLabel = "N", description = "Points per request (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--parallelism", defaultValue = "" + Defaults.PARALLELISM, paramLabel = "N",
            description = "Requests in flight at once (default: ${DEFAULT-VALUE}).")
    int parallelism;

    @Option(names = "--max-rate", defaultValue = "0", paramLabel = "POINTS/S", description = "At most this many points per second; 0: no limit.")
    double maxRate;

    @Option(names = "--timeout", defaultValue = "60s", paramLabel = "DURATION", description = "Per request (default: ${DEFAULT-VALUE}).")
    String timeout;

    @Option(names = "--rejects", defaultValue = "rewind-drill.rejects.jsonl", paramLabel = "FILE",
            description = "Points the target refused in the last drill, with its reasons (default: ${DEFAULT-VALUE}).")
    Path rejects;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    private Drill.Settings settings(long drillSeed) {
        Duration requestTimeout = Duration.ofMillis(TimeArgs.parseDuration(timeout));
        return new Drill.Settings(archive.topic, metrics, tags, transform.transforms(), new HttpTarget.Settings(targets, true, true,
                requestTimeout, 10, Duration.ofMillis(200), Duration.ofSeconds(30)), batchSize, parallelism, RateLimit.of(maxRate),
                sample, drillSeed, rejects);
    }

    @Override
    public Integer call() throws Exception {
        if (sample < 0 || batchSize < 1 || parallelism < 1 || maxRate < 0) {
            throw new IllegalArgumentException("--sample must be at least 0, --batch-size and --parallelism at least 1, --max-rate 0 or more");
        }
        settings(0); // refuses a wrong transform or duration before anything is written
        PrintWriter out = spec.commandLine().getOut();
        HttpClient http = HttpTarget.httpClient(); // one for every drill: its connections are reused
        try {
            return drill(out, http);
        } finally {
            if (http instanceof AutoCloseable closeable) { // from Java 21 on
                closeable.close();
            }
        }
    }

    private int drill(PrintWriter out, HttpClient http) throws Exception {
        if (every == null) {
            Drill.Result result = drillOnce(out, http);
            return result.passed() || result.nothingToDrill() ? RewindCli.OK : RewindCli.PROBLEMS;
        }
        DrillMetrics metrics = new DrillMetrics(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
        Schedule.serving("Drilling", archive.archive, every, TimeArgs.parseDuration(every), admin.or(9473), metrics.registry(), out, () -> {
                    long started = System.currentTimeMillis();
                    try {
                        Drill.Result result = drillOnce(out, http);
                        metrics.passedOrFailed(result, System.currentTimeMillis());
                        return (result.nothingToDrill() ? "nothing to drill yet" : result.passed() ? "last drill passed" : "LAST DRILL FAILED")
                                + " at " + TimeArgs.format(System.currentTimeMillis());
                    } catch (InterruptedException e) {
                        throw e;
                    } catch (Exception e) {
                        metrics.error(System.currentTimeMillis(), System.currentTimeMillis() - started);
                        out.println("DRILL ERROR: " + e.getMessage());
                        LOG.warn("The drill could not run", e);
                        return "last drill could not run at " + TimeArgs.format(System.currentTimeMillis()) + ": " + e.getMessage();
                    }
                });
        return RewindCli.OK;
    }

    private Drill.Result drillOnce(PrintWriter out, HttpClient http) throws Exception {
        long drillSeed = seed != null ? seed : ThreadLocalRandom.current().nextLong(1, 1_000_000_000L);
        long now = System.currentTimeMillis();
        Drill.Result result;
        try (Storage storage = archive.open()) {
            result = Drill.run(storage, settings(drillSeed), http, now);
            if (json) {
                out.println(json(storage, result).toPrettyString());
            } else {
                text(out, storage, result);
            }
        }
        out.flush();
        return result;
    }

    private ObjectNode json(Storage storage, Drill.Result result) {
        ObjectNode node = Report.JSON.createObjectNode().put("archive", storage.uri().toString()).put("topic", archive.topic)
                .put("seed", result.seed()).put("started", TimeArgs.format(result.startedMs())).put("passed", result.passed())
                .put("nothingToDrill", result.nothingToDrill())
                .put("points", result.points()).put("series", result.series()).put("mismatchedSeries", result.mismatches())
                .put("rejected", result.rejected()).put("seconds", result.elapsedMs() / 1000.0);
        ArrayNode samples = node.putArray("samples");
        for (Drill.SampleResult s : result.samples()) {
            ObjectNode n = samples.addObject().put("from", TimeArgs.format(s.sample().fromMs())).put("to", TimeArgs.format(s.sample().toMs()))
                    .put("why", s.sample().why()).put("files", s.files()).put("pointsRestored", s.points()).put("rejected", s.rejected())
                    .put("series", s.verification().series()).put("pointsVerified", s.verification().points()).put("passed", s.passed());
            ArrayNode mismatches = n.putArray("mismatches");
            s.verification().mismatches().forEach(m -> mismatches.add(m.toString()));
        }
        return node;
    }

    private void text(PrintWriter out, Storage storage, Drill.Result result) {
        out.printf("Drill of %s (topic %s) into %s, seed %d (--seed %d draws the same hours), as of %s:%n", storage.uri(), archive.topic,
                targets, result.seed(), result.seed(), TimeArgs.format(result.startedMs()));
        for (Drill.SampleResult s : result.samples()) {
            TargetVerifier.Report v = s.verification();
            out.printf("  %s  %-16s %,10d points restored, %,6d series  %s%n", TimeArgs.format(s.sample().fromMs()), s.sample().why(),
                    s.points(), v.series(), s.passed() ? "equal" : "DIFFERENT: " + v.mismatches().size() + " series"
                            + (s.rejected() > 0 ? String.format(", %,d points refused (see %s)", s.rejected(), rejects) : ""));
            v.mismatches().stream().limit(10).forEach(m -> out.println("      " + m));
            if (v.mismatches().size() > 10) {
                out.printf("      ... and %d more (--json lists all)%n", v.mismatches().size() - 10);
            }
        }
        if (result.nothingToDrill()) {
            out.println("NOTHING TO DRILL YET: " + storage.uri() + " holds no hour of topic " + archive.topic + ". Either the archiver"
                    + " has written none yet (a new archive: not a failure), or this is not the archive or topic it writes: check --archive"
                    + " and --topic.");
        } else if (result.passed()) {
            out.printf("PASSED: %d hour(s), %,d points in %,d series restored and equal to the archive, in %.1f s.%n",
                    result.samples().size(), result.points(), result.series(), result.elapsedMs() / 1000.0);
        } else {
            out.printf("FAILED: %,d series differ, %,d points refused, of %,d points in %,d series, in %.1f s.%n", result.mismatches(),
                    result.rejected(), result.points(), result.series(), result.elapsedMs() / 1000.0);
        }
    }
}
