package io.rewind.quickstart;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.rewind.devstack.TsdClient;
import io.rewind.devstack.process.Await;
import java.io.File;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.ComposeContainer;
import org.testcontainers.containers.ContainerState;
import org.testcontainers.containers.wait.strategy.Wait;

/**
 * The quickstart's story on {@code docker-compose.yml}, started by Testcontainers where a Docker engine runs
 * ({@code ./mvnw -B -ntp verify -Pdocker}): points written through the tap reach the TSD and, through Kafka and the
 * archiver, the S3 store; an incident overwrites a metric; the restorer, run in the stack's image, brings it back as of
 * before the incident, verified, and {@code verify} finds the archive sound. Skipped, saying why, without Docker.
 */
class ComposeStackIT {
    private static final File COMPOSE = Path.of(System.getProperty("user.dir")).toAbsolutePath().getParent()
            .resolve("docker-compose.yml").toFile();
    private static final String ARCHIVE = "s3://rewind/archive?endpoint=http://s3:9000&region=us-east-1&path-style=true";
    private static final Pattern ARCHIVED = Pattern.compile("(?m)^rewind_archiver_points_archived_total(?:\\{[^}]*\\})? ([0-9.E]+)$");

    @Test
    void theQuickstartsStoryRunsOnTheComposeStack() throws Exception {
        assumeTrue(DockerClientFactory.instance().isDockerAvailable(), "No Docker engine runs here: the compose stack's test is"
                + " skipped. Where one runs: ./mvnw -B -ntp verify -Pdocker");
        Duration startup = Duration.ofMinutes(10);
        try (ComposeContainer compose = new ComposeContainer(COMPOSE).withBuild(true).withLocalCompose(true)
                .withExposedService("tap", 4242, Wait.forListeningPort().withStartupTimeout(startup))
                .withExposedService("tap", 9472, Wait.forHttp("/healthz").forStatusCode(200).withStartupTimeout(startup))
                .withExposedService("archiver", 9471, Wait.forHttp("/readyz").forStatusCode(200).withStartupTimeout(startup))
                .withExposedService("opentsdb", 4242, Wait.forHttp("/api/version").forStatusCode(200).withStartupTimeout(startup))) {
            compose.start();
            TsdClient tap = new TsdClient(compose.getServiceHost("tap", 4242), compose.getServicePort("tap", 4242));
            TsdClient tsd = new TsdClient(compose.getServiceHost("opentsdb", 4242), compose.getServicePort("opentsdb", 4242));
            long start = System.currentTimeMillis() / 1000 - 600;
            List<String> good = new ArrayList<>();
            for (int s = 0; s < 300; s++) {
                good.add("put compose.load " + (start + s) + " " + (s % 17) + ".25 host=web" + (s % 3));
                good.add("put compose.requests " + ((start + s) * 1000 + 7) + " " + s + " host=web" + (s % 3));
            }
            assertThat(tap.telnet(good)).isEmpty();
            long beforeIncident = System.currentTimeMillis();
            Thread.sleep(1_000); // ingest times strictly after: the as-of time below falls between the two writes
            List<String> garbage = good.stream().filter(l -> l.startsWith("put compose.load")).map(l -> l.replace(".25 ", ".99 ")).toList();
            assertThat(tap.telnet(garbage)).isEmpty();
            int written = good.size() + garbage.size();
            String archiverMetrics = "http://" + compose.getServiceHost("archiver", 9471) + ":" + compose.getServicePort("archiver", 9471)
                    + "/metrics";
            Await.until("the archiver to archive every point", Duration.ofMinutes(3), () -> { }, () -> archived(archiverMetrics) >= written);
            Map<Long, String> before = loadOf(good);
            assertThat(query(tsd, start)).as("the incident").isNotEqualTo(before);

            ContainerState rewind = compose.getContainerByServiceName("archiver")
                    .or(() -> compose.getContainerByServiceName("archiver-1")).orElseThrow();
            var restore = rewind.execInContainer("/opt/rewind/bin/rewind", "restore", "--archive", ARCHIVE, "--from",
                    Long.toString(start * 1000), "--to", Long.toString((start + 300) * 1000), "--as-of", Long.toString(beforeIncident),
                    "--metric", "compose.load", "--target", "http://opentsdb:4242", "--verify", "--rejects", "/tmp/rejects.jsonl");
            assertThat(restore.getExitCode()).as(restore.getStdout() + restore.getStderr()).isZero();
            assertThat(restore.getStdout()).contains("Verified");
            assertThat(query(tsd, start)).isEqualTo(before);
            var verify = rewind.execInContainer("/opt/rewind/bin/rewind", "verify", "--archive", ARCHIVE);
            assertThat(verify.getExitCode()).as(verify.getStdout() + verify.getStderr()).isZero();
        }
    }

    private static long archived(String url) throws Exception {
        HttpResponse<String> metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).build(),
                HttpResponse.BodyHandlers.ofString());
        Matcher m = ARCHIVED.matcher(metrics.body());
        return m.find() ? (long) Double.parseDouble(m.group(1)) : 0;
    }

    /** compose.load's points of web0 as written: second to value. */
    private static Map<Long, String> loadOf(List<String> lines) {
        Map<Long, String> points = new TreeMap<>();
        for (String line : lines) {
            String[] f = line.split(" ");
            if (f[1].equals("compose.load") && f[4].equals("host=web0")) {
                points.put(Long.parseLong(f[2]) * 1000, new java.math.BigDecimal(f[3]).stripTrailingZeros().toPlainString());
            }
        }
        return points;
    }

    private static Map<Long, String> query(TsdClient tsd, long start) {
        Map<Long, String> points = new TreeMap<>();
        for (TsdClient.Series series : tsd.query("compose.load", start * 1000, (start + 300) * 1000)) {
            if ("web0".equals(series.tags().get("host"))) {
                series.points().forEach((t, v) -> points.put(t, new java.math.BigDecimal(v.asText()).stripTrailingZeros().toPlainString()));
            }
        }
        return points;
    }
}
