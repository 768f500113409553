package io.rewind.cli;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.rewind.service.AdminServer;
import io.rewind.service.ProcessMetrics;
import io.rewind.service.tls.ServerTls;
import java.io.PrintWriter;
import java.util.concurrent.atomic.AtomicReference;

/** What {@code --every} runs: a task again and again, each run starting one interval after the last one started. */
final class Schedule {
    private Schedule() {
    }

    /** One run; it reports its own failures, which do not stop the schedule. */
    interface Run {
        void run() throws InterruptedException;
    }

    /** One run that says how it went, for the admin port's {@code /healthz}. */
    interface Outcome {
        String run() throws InterruptedException;
    }

    /** Where a repeated verb serves its metrics: {@code --admin-host}, {@code --admin-port} and the TLS options. */
    record AdminPort(String host, int port, ServerTls.Settings tls) {
    }

    /** Runs until the thread is interrupted (the process is stopped). */
    static void every(long intervalMs, Run run) throws InterruptedException {
        if (intervalMs < 1000) {
            throw new IllegalArgumentException("--every is at least 1s: " + intervalMs + " ms");
        }
        while (!Thread.currentThread().isInterrupted()) {
            long started = System.currentTimeMillis();
            run.run();
            Thread.sleep(Math.max(0, started + intervalMs - System.currentTimeMillis())); // the schedule between runs
        }
    }

    /**
     * The same, serving the registry's metrics (with the process's own) on an admin port, whose {@code /healthz} says how the
     * last run went; prints "{@code <doing> <what> every <every>; metrics on <url>}" first.
     */
    static void serving(String doing, String what, String every, long intervalMs, AdminPort port, PrometheusMeterRegistry registry,
            PrintWriter out, Outcome run) throws Exception {
        ProcessMetrics.bindTo(registry);
        AtomicReference<String> last = new AtomicReference<>("no run yet");
        try (AdminServer admin = AdminServer.start(port.host(), port.port(), port.tls(), registry, () -> AdminServer.Health.ok(last.get()),
                () -> AdminServer.Health.ok(doing.toLowerCase(java.util.Locale.ROOT) + " every " + every))) {
            out.printf("%s %s every %s; metrics on %s://%s:%d/metrics%n", doing, what, every, admin.scheme(), port.host(), admin.port());
            out.flush();
            every(intervalMs, () -> {
                last.set(run.run());
                out.flush();
            });
        }
    }
}
