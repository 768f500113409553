package io.rewind.cli;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.rewind.restore.follow.FollowMetrics;
import io.rewind.restore.follow.Follower;
import io.rewind.service.AdminServer;
import io.rewind.service.ProcessMetrics;
import io.rewind.restore.targets.Target;
import java.io.PrintWriter;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * The second half of {@code restore --follow}: once the archive and the Kafka tail are restored, the points topic followed
 * from where they ended, with metrics on an admin port, until the process is stopped (SIGTERM, Ctrl-C), which writes and
 * commits what was read before it exits.
 */
final class Follow {
    /** The admin port's default for {@code restore --follow}. */
    static final int ADMIN_PORT = 9475;
    private static final long STATUS_EVERY_MS = 60_000;

    private Follow() {
    }

    /**
     * Follows the topic into the target until the process is stopped.
     *
     * @param from where the group starts: the partitions' offsets it has committed, or those the restore just handed over
     * @param resumed whether an earlier run had already handed over (the archive was not restored again)
     */
    static void run(PrintWriter out, Follower.Settings settings, Target target, Schedule.AdminPort port, Map<Integer, Long> from,
            boolean resumed, String into) throws Exception {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        ProcessMetrics.bindTo(registry);
        FollowMetrics metrics = new FollowMetrics(registry, target::retries);
        Follower follower = new Follower(settings, target, metrics);
        CountDownLatch finished = new CountDownLatch(1);
        Thread stopper = new Thread(() -> {
            follower.stop();
            try {
                finished.await(settings.stopGrace().toMillis() + 25_000, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "rewind-follow-stop");
        Runtime.getRuntime().addShutdownHook(stopper);
        ScheduledExecutorService status = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "rewind-follow-status");
            t.setDaemon(true);
            return t;
        });
        try (AdminServer admin = AdminServer.start(port.host(), port.port(), port.tls(), registry, () -> health(metrics),
                () -> AdminServer.Health.ok("following"))) {
            out.printf("Following '%s' into %s as group '%s'%s from offset(s) %s; metrics on %s://%s:%d/metrics. Stop with SIGTERM"
                    + " or Ctrl-C; this command continues where it stopped.%n", settings.kafka().topic(), into, settings.group(),
                    resumed ? " (the archive was restored by an earlier run)" : "",
                    from.entrySet().stream().map(e -> "p" + e.getKey() + ":" + e.getValue()).collect(Collectors.joining(", ")),
                    admin.scheme(), port.host(), admin.port());
            out.flush();
            status.scheduleAtFixedRate(() -> {
                out.println(line(metrics));
                out.flush();
            }, STATUS_EVERY_MS, STATUS_EVERY_MS, TimeUnit.MILLISECONDS);
            follower.run();
            out.println("Stopped. " + line(metrics));
            out.flush();
        } finally {
            status.shutdownNow();
            finished.countDown(); // after the last line: the JVM may end as soon as the hook returns
            try {
                Runtime.getRuntime().removeShutdownHook(stopper);
            } catch (IllegalStateException shuttingDown) {
                // the hook is what stopped the follower
            }
        }
    }

    private static String line(FollowMetrics m) {
        return String.format("Following: %,d points written, %,d rejected, %,d retries; behind by %,d record(s), %.1f s%s%s",
                m.pointsWritten(), m.pointsRejected(), m.retries(), m.lagRecords(), m.lagSeconds(),
                m.targetUp() ? "" : "; the target does not take batches: " + m.lastError(),
                m.recordsLost() > 0 ? String.format("; %,d record(s) LOST to Kafka's retention before they were read", m.recordsLost()) : "");
    }

    /** Healthy while the loop runs: a target that refuses batches is said, not a reason to restart the follower. */
    private static AdminServer.Health health(FollowMetrics m) {
        return AdminServer.Health.ok(line(m));
    }
}
