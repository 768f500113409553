package io.rewind.quickstart;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.rewind.archive.location.Storages;
import io.rewind.archiver.Archiver;
import io.rewind.archiver.ArchiverConfig;
import io.rewind.devstack.DevStack;
import io.rewind.devstack.Tsd;
import io.rewind.devstack.TsdClient;
import io.rewind.devstack.junit.DevStackExtension;
import io.rewind.devstack.process.Await;
import io.rewind.cli.RewindCli;
import io.rewind.service.TimeArgs;
import io.rewind.tap.Tap;
import io.rewind.tap.config.TapConfig;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * A restore that reaches the last acknowledged point: the archiver is stopped, points (new ones, and new versions of
 * archived ones) are written through the tap, and {@code restore --kafka-tail} reads them from the points topic past the
 * archive. The restore equals the source TSD; with {@code --as-of} inside the tail it equals what the source held then;
 * without the tail the plan names the records it leaves in Kafka, and {@code list} shows how far the archive is behind.
 * Records Kafka has deleted are named, and {@code --require-tail} then refuses.
 */
@ExtendWith(DevStackExtension.class)
class KafkaTailIT {
    private static final long T0 = 1_763_726_400_000L;
    private static final String METRIC = "tail.it";
    private static final int HOSTS = 6;
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void aRestoreWithTheKafkaTailHoldsEveryAcknowledgedPoint(DevStack stack) throws Exception {
        String topic = "tail-it";
        String archiverId = "rewind-tail-it";
        String bootstrap = stack.kafka().bootstrapServers();
        stack.kafka().createTopic(topic, 2, Map.of());
        // New versions of a point can take another width than the old ones (112 then 212): OpenTSDB then holds two cells for one
        // timestamp, which its queries refuse unless told to keep the latest.
        Tsd source = stack.tsd("tail-source", Map.of("tsd.storage.fix_duplicates", "true"));
        Path archive = dir.resolve("archive");
        ArchiverConfig config = Pipeline.archiverConfig(bootstrap, topic, archiverId, archive.toString(), dir.resolve("archiver-state"),
                Duration.ofSeconds(1));
        PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        long asOf;
        int tailPoints;
        try (Tap tap = Tap.start(TapConfig.of(TapConfig.localSettings(bootstrap, topic, dir.resolve("spool"), "127.0.0.1:" + source.port())))) {
            TsdClient client = new TsdClient("127.0.0.1", tap.port());
            try (Archiver archiver = Archiver.start(config, Storages.open(config.storage()), metrics)) {
                int archived = put(client, 0, 10, 0); // ten points per host
                Await.until("the archiver to archive the first points", Duration.ofMinutes(2), () -> { },
                        () -> metrics.get("rewind.archiver.points.archived").counter().count() >= archived);
            } // stopped: what follows stays in Kafka
            tailPoints = put(client, 8, 14, 100); // two new versions of archived points per host, four new points
            asOf = System.currentTimeMillis();
            Await.until("the clock to pass the as-of time", Duration.ofSeconds(5), () -> { }, () -> System.currentTimeMillis() > asOf);
            tailPoints += put(client, 12, 16, 200); // new versions of tail points, two new points
        }
        long fromMs = T0;
        long toMs = T0 + 3_600_000;
        TsdData atAsOf = expected(0, 10, 0).overlay(expected(8, 14, 100));
        TsdData latest = atAsOf.overlay(expected(12, 16, 200));
        assertThat(TsdData.query(TsdClient.of(source), List.of(METRIC), fromMs, toMs)).isEqualTo(latest);

        // Without the tail: the plan names what it leaves in Kafka, and list shows how far behind the archive is.
        List<String> common = List.of("--archive", archive.toString(), "--topic", topic, "--from", TimeArgs.format(fromMs), "--to",
                TimeArgs.format(toMs), "--bootstrap-servers", bootstrap, "--archiver-id", archiverId);
        CliRun plan = CliRun.run(concat(List.of("restore"), common, List.of("--dry-run", "--json")));
        assertThat(plan.exit()).as(plan.out()).isZero();
        JsonNode kafka = JSON.readTree(plan.out()).path("kafka");
        assertThat(kafka.path("recordsLeftInKafka").asLong()).as(plan.out()).isEqualTo(tailPoints);
        kafka.path("partitions").forEach(p -> assertThat(p.path("source").asText()).isEqualTo("committed"));
        CliRun text = CliRun.run(concat(List.of("restore"), common, List.of("--dry-run")));
        assertThat(text.out()).contains(String.format("Kafka: %,d record(s) of '%s' are past the archive and NOT restored", tailPoints, topic));
        CliRun list = CliRun.run(List.of("list", "--archive", archive.toString(), "--topic", topic, "--bootstrap-servers", bootstrap, "--archiver-id",
                archiverId, "--json"));
        JsonNode behind = JSON.readTree(list.out()).path("kafka").path("partitions");
        long behindRecords = 0;
        for (JsonNode p : behind) {
            behindRecords += p.path("behindRecords").asLong();
            if (p.path("behindRecords").asLong() > 0) {
                assertThat(p.path("behindSeconds").asDouble()).isPositive();
            }
        }
        assertThat(behindRecords).as(list.out()).isEqualTo(tailPoints);

        // With the tail: every point the tap acknowledged.
        Tsd restored = stack.tsd("tail-restored", Map.of());
        CliRun restore = CliRun.run(concat(List.of("restore"), common, List.of("--kafka-tail", "--target", restored.httpUrl().toString(),
                "--rejects", dir.resolve("latest.jsonl").toString(), "--verify")));
        assertThat(restore.exit()).as(restore.out()).isZero();
        assertThat(restore.out()).contains(String.format("Kafka tail: %,d point(s) of the selection", tailPoints));
        assertThat(TsdData.query(TsdClient.of(restored), List.of(METRIC), fromMs, toMs)).isEqualTo(latest);

        // As of a time inside the tail: exactly the versions ingested up to then.
        Tsd past = stack.tsd("tail-as-of", Map.of());
        CliRun asOfRestore = CliRun.run(concat(List.of("restore"), common, List.of("--kafka-tail", "--as-of", TimeArgs.format(asOf), "--target",
                past.httpUrl().toString(), "--rejects", dir.resolve("as-of.jsonl").toString())));
        assertThat(asOfRestore.exit()).as(asOfRestore.out()).isZero();
        assertThat(TsdData.query(TsdClient.of(past), List.of(METRIC), fromMs, toMs)).isEqualTo(atAsOf);

        // Kafka's retention deletes partition 0's tail: named; refused with --require-tail.
        TopicPartition p0 = new TopicPartition(topic, 0);
        long end = stack.kafka().admin().listOffsets(Map.of(p0, org.apache.kafka.clients.admin.OffsetSpec.latest())).all().get()
                .get(p0).offset();
        stack.kafka().admin().deleteRecords(Map.of(p0, RecordsToDelete.beforeOffset(end))).all().get();
        CliRun required = CliRun.run(concat(List.of("restore"), common, List.of("--kafka-tail", "--require-tail", "--dry-run")));
        assertThat(required.exit()).as(required.out()).isEqualTo(RewindCli.FAILED);
        assertThat(required.out()).contains("Kafka has already deleted records the archive lacks").contains("partition 0");
        CliRun tolerated = CliRun.run(concat(List.of("restore"), common, List.of("--kafka-tail", "--dry-run")));
        assertThat(tolerated.exit()).as(tolerated.out()).isZero();
        assertThat(tolerated.out()).contains("already deleted by Kafka's retention");
    }

    /** Puts points {@code [first, last)} of every host through the tap, acknowledged once Kafka has them; values {@code base + i}. */
    private static int put(TsdClient tap, int first, int last, int base) {
        StringBuilder body = new StringBuilder("[");
        int n = 0;
        for (int host = 0; host < HOSTS; host++) {
            for (int i = first; i < last; i++) {
                body.append(n++ == 0 ? "" : ",").append("{\"metric\":\"").append(METRIC).append("\",\"timestamp\":")
                        .append(T0 + i * 10_000L).append(",\"value\":").append(base + i).append(",\"tags\":{\"host\":\"h").append(host)
                        .append("\"}}");
            }
        }
        TsdClient.Response response = tap.post("/api/put?sync", body + "]", false);
        assertThat(response.status()).as(response.body()).isIn(200, 204);
        return n;
    }

    private static TsdData expected(int first, int last, int base) {
        Map<TsdData.Series, Map<Long, JsonNode>> series = new java.util.TreeMap<>();
        for (int host = 0; host < HOSTS; host++) {
            Map<Long, JsonNode> points = new java.util.TreeMap<>();
            for (int i = first; i < last; i++) {
                points.put(T0 + i * 10_000L, JSON.getNodeFactory().numberNode(base + i));
            }
            series.put(new TsdData.Series(METRIC, Map.of("host", "h" + host)), points);
        }
        return new TsdData(series);
    }

    @SafeVarargs
    private static List<String> concat(List<String>... parts) {
        List<String> all = new ArrayList<>();
        for (List<String> part : parts) {
            all.addAll(part);
        }
        return all;
    }
}
