package io.rewind.quickstart;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.rewind.archive.gaps.GapLedger;
import io.rewind.archive.storage.local.LocalStorage;
import io.rewind.cli.CliRun;
import io.rewind.devstack.DevStack;
import io.rewind.devstack.Tsd;
import io.rewind.devstack.TsdClient;
import io.rewind.devstack.junit.DevStackExtension;
import io.rewind.devstack.process.Await;
import io.rewind.tap.metrics.TapMetrics;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The backup never holds back production, and what it lets through is healed: Kafka stopped for longer than a small spool
 * lasts under load, the tap keeps forwarding (pass-through, the default) and the TSD keeps every point; the tap records the
 * metric-hours it could not back up as gaps and publishes them once Kafka is back; the archiver keeps them in the archive,
 * {@code list} shows them open, {@code heal} takes exactly those hours from HBase (every metric's rows of them: more metrics
 * missed points than the tap's bound), and a restore as of now then equals production point for point. Heal leaves the hours
 * open while the TSDs may still be writing, and when pointed at a cluster that holds none of the points.
 */
@ExtendWith(DevStackExtension.class)
class HealIT {
    private static final long HOUR_S = 3_600;
    private static final List<String> METRICS = List.of("heal.cpu", "heal.mem", "heal.disk");
    private static final List<String> HOSTS = List.of("a", "b", "c", "d", "e", "f", "g", "h");

    @TempDir
    Path dir;

    @Test
    void aKafkaOutageLongerThanTheSpoolIsHealedAndTheRestoreEqualsProduction(DevStack stack) throws Exception {
        Tsd production = stack.tsd("heal-prod", Map.of());
        Tsd restored = stack.tsd("heal-restored", Map.of());
        long nowS = System.currentTimeMillis() / 1000;
        long firstHour = (nowS / HOUR_S - 2) * HOUR_S;
        Path work = dir.resolve("pipeline");
        long missed;
        try (Pipeline pipeline = Pipeline.start(stack, production, work, Duration.ofSeconds(2), Map.of("spool.max.bytes", "1MiB",
                "delivery.window.max.bytes", "64KiB", "gaps.max.metrics.per.hour", "2"))) {
            TsdClient tap = new TsdClient("127.0.0.1", pipeline.tap().port());
            TapMetrics metrics = pipeline.tap().metrics();
            long archivedAtStart = pipeline.pointsArchived();
            // Before the outage: the first minutes of each hour, through the tap into Kafka.
            List<String> before = puts(firstHour, firstHour + 2 * HOUR_S, 0, 300);
            assertThat(tap.telnet(before)).as("the TSD's answers").isEmpty();
            Await.until("the points before the outage to be archived", Duration.ofMinutes(2), () -> { },
                    () -> pipeline.pointsArchived() >= archivedAtStart + before.size());

            stack.kafka().stop();
            List<String> during;
            try {
                // The rest of both hours, far more than the producers' 64 KiB window and the 1 MiB spool hold: 31,680 points.
                during = puts(firstHour, firstHour + 2 * HOUR_S, 300, HOUR_S);
                for (int from = 0; from < during.size(); from += 5_000) {
                    assertThat(tap.telnet(during.subList(from, Math.min(during.size(), from + 5_000)))).as("the TSD's answers").isEmpty();
                }
                missed = (long) counter(metrics, "rewind.tap.points.missed");
                assertThat(missed).as("points let through without backup while Kafka was away").isPositive();
                assertThat(gauge(metrics, "rewind.tap.gaps.open")).as("metric-hours open on the tap's /metrics").isPositive();
                assertThat(gauge(metrics, "rewind.tap.spool.capacity.bytes")).isEqualTo(1 << 20);
            } finally {
                stack.kafka().start();
            }
            Await.until("the tap to publish its gaps", Duration.ofMinutes(2), () -> { }, () -> gauge(metrics, "rewind.tap.gaps.open") == 0);
            long expected = archivedAtStart + before.size() + during.size() - missed;
            Await.until("the spooled points and the gaps to be archived", Duration.ofMinutes(3), () -> { },
                    () -> pipeline.pointsArchived() >= expected && !ledger(pipeline.archiveDir()).open().isEmpty());
        }
        // The TSD kept every point through the outage.
        for (String metric : METRICS) {
            assertThat(pointCount(readAll(production, metric, firstHour, nowS))).as(metric + " in production").isEqualTo(2 * HOSTS.size() * 720);
        }
        GapLedger gaps = ledger(work.resolve("archive"));
        assertThat(gaps.open()).extracting(GapLedger.Hour::hourStartMs).containsExactly(firstHour * 1000, (firstHour + HOUR_S) * 1000);
        assertThat(gaps.open().stream().mapToLong(GapLedger.Hour::openPoints).sum()).as("points in the gaps").isEqualTo(missed);
        // Three metrics missed points in each hour, past the tap's bound of two: each hour's gap covers every metric, and heal reads
        // every metric's rows of that hour.
        assertThat(gaps.open()).allSatisfy(hour -> assertThat(hour.allMetrics()).isTrue());
        CliRun listed = CliRun.of("list", "--archive", work.resolve("archive").toString());
        assertThat(listed.out()).contains("2 hour(s) open").contains("OPEN ").contains("rewind heal");

        CliRun unhealed = CliRun.of("restore", "--archive", work.resolve("archive").toString(), "--from", Long.toString(firstHour * 1000),
                "--to", Long.toString((nowS + 1) * 1000), "--dry-run");
        assertThat(unhealed.exitCode()).as("a restore of a range with open gaps says so: " + unhealed.out()).isEqualTo(1);
        assertThat(unhealed.out()).contains("GAPS: 2 hour(s) of this range");

        CliRun early = CliRun.of("heal", "--archive", work.resolve("archive").toString(), "--storage-config",
                production.configFile().toString(), "--rejects-dir", dir.toString());
        assertThat(early.exitCode()).as("minutes after the outage, the TSDs may still be writing: " + early.out()).isEqualTo(1);
        assertThat(early.out()).contains("Waiting ").contains("rerun heal after");
        CliRun wrongCluster = CliRun.of("heal", "--archive", work.resolve("archive").toString(), "--storage-config",
                restored.configFile().toString(), "--rejects-dir", dir.toString(), "--settle", "0s");
        assertThat(wrongCluster.exitCode()).as(wrongCluster.out()).isEqualTo(1);
        assertThat(wrongCluster.out()).contains("NOT HEALED, the gaps stay open: the cluster holds no point of");
        CliRun wrongClusterAccepted = CliRun.of("heal", "--archive", work.resolve("archive").toString(), "--storage-config",
                restored.configFile().toString(), "--rejects-dir", dir.toString(), "--settle", "0s", "--accept-incomplete");
        assertThat(wrongClusterAccepted.exitCode()).as("--accept-incomplete accepts points left out, not a cluster that holds none: "
                + wrongClusterAccepted.out()).isEqualTo(1);
        assertThat(ledger(work.resolve("archive")).open()).as("gaps open after a heal from the wrong cluster").hasSize(2);

        CliRun heal = CliRun.of("heal", "--archive", work.resolve("archive").toString(), "--storage-config", production.configFile().toString(),
                "--rejects-dir", dir.toString(), "--settle", "0s");
        assertThat(heal.exitCode()).as(heal.out() + heal.err()).isZero();
        assertThat(heal.out()).contains("Every open gap is healed (2 hour(s))");
        assertThat(ledger(work.resolve("archive")).open()).as("gaps open after heal").isEmpty();
        assertThat(CliRun.of("list", "--archive", work.resolve("archive").toString()).out()).contains("0 hour(s) open, 2 healed")
                .doesNotContain("OPEN ");
        CliRun again = CliRun.of("heal", "--archive", work.resolve("archive").toString(), "--storage-config", production.configFile().toString(),
                "--rejects-dir", dir.toString(), "--settle", "0s");
        assertThat(again.out()).contains("No gap open");

        CliRun restore = CliRun.of("restore", "--archive", work.resolve("archive").toString(), "--from", Long.toString(firstHour * 1000),
                "--to", Long.toString((nowS + 1) * 1000), "--target", restored.httpUrl().toString(), "--rejects",
                dir.resolve("restore-rejects.jsonl").toString());
        assertThat(restore.exitCode()).as(restore.out() + restore.err()).isZero();
        for (String metric : METRICS) {
            assertThat(readAll(restored, metric, firstHour, nowS)).as(metric + " restored").isEqualTo(readAll(production, metric, firstHour, nowS));
        }
    }

    /**
     * Put lines of every metric for eight hosts, every 5 s, at the seconds {@code [fromOffset, toOffset)} of each hour of
     * {@code [fromS, toS)}: integers and decimals, some at millisecond timestamps.
     */
    private static List<String> puts(long fromS, long toS, long fromOffset, long toOffset) {
        List<String> lines = new ArrayList<>();
        for (long hour = fromS; hour < toS; hour += HOUR_S) {
            for (long ts = hour + fromOffset; ts < hour + toOffset; ts += 5) {
                for (String metric : METRICS) {
                    for (String host : HOSTS) {
                        String timestamp = ts % 15 == 0 ? Long.toString(ts * 1000 + 123) : Long.toString(ts);
                        String value = ts % 2 == 0 ? Long.toString(ts % 1000 - 500) : (ts % 97) + ".25";
                        lines.add("put " + metric + " " + timestamp + " " + value + " host=" + host);
                    }
                }
            }
        }
        return lines;
    }

    private static GapLedger ledger(Path archive) throws Exception {
        try (LocalStorage storage = new LocalStorage(archive)) {
            return GapLedger.read(storage, Pipeline.TOPIC);
        }
    }

    private static double counter(TapMetrics metrics, String name) {
        return metrics.registry().get(name).counter().count();
    }

    private static double gauge(TapMetrics metrics, String name) {
        return metrics.registry().get(name).gauge().value();
    }

    private static Map<String, Map<Long, JsonNode>> readAll(Tsd tsd, String metric, long fromS, long toS) {
        return TsdClient.of(tsd).pointsBySeries(metric, fromS * 1000, toS * 1000 + 999);
    }

    private static int pointCount(Map<String, Map<Long, JsonNode>> series) {
        return series.values().stream().mapToInt(Map::size).sum();
    }
}
