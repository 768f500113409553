package io.rewind.cli;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.rewind.archive.copy.ArchiveCopy;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What {@code rewind copy --every} exports on its admin port, so that an alert fires when the second copy falls behind: when
 * the last run ended and the last complete one, the files the last run left for the next, the interval between runs, and
 * runs counted by result (complete, incomplete, error).
 */
final class CopyMetrics {
    private final PrometheusMeterRegistry registry;
    private final AtomicLong lastRunSeconds = new AtomicLong();
    private final AtomicLong lastSuccessSeconds = new AtomicLong();
    private final AtomicLong filesBehind = new AtomicLong();
    /** Runs by result, each at zero from the start so that an alert on its increase sees the first. */
    private final Map<String, Counter> runs = new HashMap<>();

    CopyMetrics(PrometheusMeterRegistry registry, long intervalMs) {
        this.registry = registry;
        Gauge.builder("rewind.copy.last.run.timestamp", lastRunSeconds, AtomicLong::get).baseUnit("seconds")
                .description("When the last copy run ended (epoch seconds), whatever its result; 0 before the first").register(registry);
        Gauge.builder("rewind.copy.last.success.timestamp", lastSuccessSeconds, AtomicLong::get).baseUnit("seconds")
                .description("When the last complete copy run ended (epoch seconds): the copy held everything the archive had"
                        + " published when it started; 0 before the first").register(registry);
        Gauge.builder("rewind.copy.files.behind", filesBehind, AtomicLong::get)
                .description("Files the last run found to copy and left for the next: not yet published, replaced while it ran, or failed")
                .register(registry);
        Gauge.builder("rewind.copy.interval", () -> intervalMs / 1000.0).baseUnit("seconds")
                .description("The time between two runs (--every)").register(registry);
        for (String result : List.of("complete", "incomplete", "error")) {
            runs.put(result, Counter.builder("rewind.copy.runs").tag("result", result).description("Copy runs, by result: complete,"
                    + " incomplete (work left for the next run, or problems), error (could not run)").register(registry));
        }
    }

    void ran(ArchiveCopy.Result result, boolean dryRun, long endedMs) {
        lastRunSeconds.set(endedMs / 1000);
        filesBehind.set((dryRun ? result.copied() : 0) + result.unpublished() + result.gone() + result.problems().size());
        if (result.complete() && !dryRun) {
            lastSuccessSeconds.set(endedMs / 1000);
            runs.get("complete").increment();
        } else {
            runs.get("incomplete").increment();
        }
    }

    void error(long endedMs) {
        lastRunSeconds.set(endedMs / 1000);
        runs.get("error").increment();
    }

    PrometheusMeterRegistry registry() {
        return registry;
    }
}
