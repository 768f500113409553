package io.rewind.restore.check;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * What {@code rewind drill --every} exports on its admin port, so that an alert fires when drills stop passing: the time
 * of the last run and of the last success, and the last run's outcome, points verified, mismatched series, refused points
 * and duration; runs counted by result.
 */
public final class DrillMetrics {
    private final PrometheusMeterRegistry registry;
    private final AtomicLong lastRunSeconds = new AtomicLong();
    private final AtomicLong lastSuccessSeconds = new AtomicLong();
    private final AtomicLong passed = new AtomicLong();
    private final AtomicLong points = new AtomicLong();
    private final AtomicLong series = new AtomicLong();
    private final AtomicLong mismatched = new AtomicLong();
    private final AtomicLong rejected = new AtomicLong();
    private final AtomicReference<Double> duration = new AtomicReference<>(0.0);
    private final Counter passedRuns;
    private final Counter failedRuns;
    private final Counter errorRuns;
    private final Counter nothingRuns;

    public DrillMetrics(PrometheusMeterRegistry registry) {
        this.registry = registry;
        Gauge.builder("rewind.drill.last.run.timestamp", lastRunSeconds, AtomicLong::get).baseUnit("seconds")
                .description("When the last drill ended (epoch seconds), whatever its result").register(registry);
        Gauge.builder("rewind.drill.last.success.timestamp", lastSuccessSeconds, AtomicLong::get).baseUnit("seconds")
                .description("When the last drill that passed ended (epoch seconds); 0 before the first").register(registry);
        Gauge.builder("rewind.drill.passed", passed, AtomicLong::get)
                .description("1 when the last drill passed, else 0").register(registry);
        Gauge.builder("rewind.drill.points.verified", points, AtomicLong::get)
                .description("Points the last drill compared in the target with the archive").register(registry);
        Gauge.builder("rewind.drill.series.verified", series, AtomicLong::get)
                .description("Series the last drill compared").register(registry);
        Gauge.builder("rewind.drill.mismatched.series", mismatched, AtomicLong::get)
                .description("Series the last drill found different in the target").register(registry);
        Gauge.builder("rewind.drill.rejected.points", rejected, AtomicLong::get)
                .description("Points the target refused in the last drill").register(registry);
        Gauge.builder("rewind.drill.duration", duration, AtomicReference::get).baseUnit("seconds")
                .description("How long the last drill took").register(registry);
        passedRuns = runs("passed");
        failedRuns = runs("failed");
        errorRuns = runs("error");
        nothingRuns = runs("nothing");
    }

    private Counter runs(String result) {
        return Counter.builder("rewind.drill.runs").tag("result", result)
                .description("Drills run, by result: passed, failed (a difference or a refused point), error (could not run), nothing (the archive held no hour yet)")
                .register(registry);
    }

    public void passedOrFailed(Drill.Result result, long endedMs) {
        if (result.nothingToDrill()) {
            // An archive with no hour yet (a new install): counted, and neither a pass nor a failure, so that no alert on the
            // last drill fires before there is anything to prove.
            nothingRuns.increment();
            return;
        }
        lastRunSeconds.set(endedMs / 1000);
        passed.set(result.passed() ? 1 : 0);
        if (result.passed()) {
            lastSuccessSeconds.set(endedMs / 1000);
        }
        points.set(result.points());
        series.set(result.series());
        mismatched.set(result.mismatches());
        rejected.set(result.rejected());
        duration.set(result.elapsedMs() / 1000.0);
        (result.passed() ? passedRuns : failedRuns).increment();
    }

    public void error(long endedMs, long elapsedMs) {
        lastRunSeconds.set(endedMs / 1000);
        passed.set(0);
        duration.set(elapsedMs / 1000.0);
        errorRuns.increment();
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }
}
