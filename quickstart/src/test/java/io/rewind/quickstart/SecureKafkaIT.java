package io.rewind.quickstart;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.rewind.archive.location.Storages;
import io.rewind.archiver.Archiver;
import io.rewind.archiver.ArchiverConfig;
import io.rewind.devstack.Certificates;
import io.rewind.devstack.DevStack;
import io.rewind.devstack.KafkaBroker;
import io.rewind.devstack.Tsd;
import io.rewind.devstack.TsdClient;
import io.rewind.devstack.junit.DevStackExtension;
import io.rewind.devstack.process.Await;
import io.rewind.service.TimeArgs;
import io.rewind.tap.Tap;
import io.rewind.tap.config.TapConfig;
import java.io.IOException;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole pipeline against a secured Kafka: the dev stack's SASL_SSL listener (TLS with its own CA, SCRAM-SHA-512), reached
 * by the tap, the archiver and the restorer with {@code kafka.*} / {@code --kafka} settings only, as a user configures them.
 * The archiver serves its admin port over HTTPS to clients with a certificate. Telnet and HTTP points through the tap are
 * archived; points written while the archiver is stopped are read from Kafka's tail by {@code restore --kafka-tail}; the
 * restore equals the source TSD; {@code verify --catalog-bootstrap} finds the catalog and storage in agreement.
 */
@ExtendWith(DevStackExtension.class)
class SecureKafkaIT {
    private static final long T0 = 1_763_726_400L;
    private static final String METRIC = "secure.it";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void tapArchiverAndRestorerWorkAgainstASaslSslBrokerWithKafkaSettingsOnly(DevStack stack) throws Exception {
        KafkaBroker kafka = stack.kafka();
        String topic = "secure-it";
        String archiverId = "rewind-secure-it";
        kafka.createTopic(topic, 2, Map.of());
        String bootstrap = kafka.secureBootstrapServers();
        Map<String, String> secure = new TreeMap<>(kafka.secureClientSettings());
        Tsd source = stack.tsd("secure-source", Map.of());

        Certificates certificates = new Certificates(dir.resolve("certs"));
        certificates.issue("archiver-admin");
        certificates.issue("prometheus");
        Map<String, String> tapSettings = TapConfig.localSettings(bootstrap, topic, dir.resolve("spool"), "127.0.0.1:" + source.port());
        secure.forEach((k, v) -> tapSettings.put("kafka." + k, v));
        Map<String, String> archiving = Pipeline.archiverSettings(bootstrap, dir.resolve("archive").toString(), dir.resolve("state"),
                Duration.ofSeconds(1));
        archiving.putAll(Map.of("topic", topic, "application.id", archiverId, "admin.host", "127.0.0.1", "admin.tls.mode", "required",
                "admin.tls.cert.file", certificates.cert("archiver-admin").toString(), "admin.tls.key.file",
                certificates.key("archiver-admin").toString(), "admin.tls.ca.file", certificates.ca().toString(), "admin.tls.client.auth",
                "require"));
        secure.forEach((k, v) -> archiving.put("kafka." + k, v));
        ArchiverConfig config = ArchiverConfig.of(archiving);
        PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

        int tail;
        try (Tap tap = Tap.start(TapConfig.of(tapSettings))) {
            TsdClient client = new TsdClient("127.0.0.1", tap.port());
            try (Archiver archiver = Archiver.start(config, Storages.open(config.storage()), metrics)) {
                List<String> lines = new ArrayList<>();
                for (int i = 0; i < 30; i++) {
                    lines.add("put " + METRIC + " " + (T0 + i * 10) + " " + i + " host=telnet");
                }
                assertThat(client.telnet(lines)).as("the TSD's error replies").isEmpty();
                put(client, "http", 0, 30);
                Await.until("the archiver to archive the points it read over SASL_SSL", Duration.ofMinutes(2), () -> { },
                        () -> metrics.get("rewind.archiver.points.archived").counter().count() >= 60);

                // Its admin port: HTTPS, to a client with a certificate of the CA.
                URI scrape = URI.create("https://127.0.0.1:" + archiver.adminPort() + "/metrics");
                HttpClient prometheus = HttpClient.newBuilder().sslContext(certificates.client("prometheus")).build();
                HttpResponse<String> scraped = prometheus.send(HttpRequest.newBuilder(scrape).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(scraped.statusCode()).isEqualTo(200);
                assertThat(scraped.body()).contains("rewind_archiver_points_archived_total");
                HttpClient anonymous = HttpClient.newBuilder().sslContext(certificates.client(null)).build();
                assertThatThrownBy(() -> anonymous.send(HttpRequest.newBuilder(scrape).build(), HttpResponse.BodyHandlers.ofString()))
                        .isInstanceOf(IOException.class);
            }
            tail = put(client, "http", 30, 40); // the archiver is stopped: these stay in Kafka
        }
        // The source TSD holds exactly the 70 points sent: 30 over telnet (value i), 40 over HTTP (value 1.5 i).
        TsdData written = TsdData.await(TsdClient.of(source), List.of(METRIC), T0 * 1000, (T0 + 3600) * 1000, 70, Duration.ofSeconds(60));
        Map<String, Map<Long, Double>> sent = new java.util.TreeMap<>();
        for (int i = 0; i < 40; i++) {
            if (i < 30) {
                sent.computeIfAbsent("telnet", h -> new java.util.TreeMap<>()).put((T0 + i * 10) * 1000, (double) i);
            }
            sent.computeIfAbsent("http", h -> new java.util.TreeMap<>()).put((T0 + i * 10) * 1000, i * 1.5);
        }
        Map<String, Map<Long, Double>> stored = new java.util.TreeMap<>();
        written.series().forEach((series, points) -> points.forEach((ms, value) ->
                stored.computeIfAbsent(series.tags().get("host"), h -> new java.util.TreeMap<>()).put(ms, value.asDouble())));
        assertThat(stored).isEqualTo(sent);

        List<String> kafkaArgs = new ArrayList<>();
        secure.forEach((k, v) -> kafkaArgs.addAll(List.of("--kafka", k + "=" + v)));
        List<String> restore = new ArrayList<>(List.of("restore", "--archive", dir.resolve("archive").toString(), "--topic", topic,
                "--from", TimeArgs.format(T0 * 1000), "--to", TimeArgs.format((T0 + 3600) * 1000), "--bootstrap-servers", bootstrap,
                "--archiver-id", archiverId, "--kafka-tail", "--require-tail", "--verify", "--rejects", dir.resolve("rejects.jsonl").toString()));
        restore.addAll(kafkaArgs);
        Tsd restored = stack.tsd("secure-restored", Map.of());
        restore.addAll(List.of("--target", restored.httpUrl().toString()));
        CliRun restoreRun = CliRun.run(restore);
        assertThat(restoreRun.exit()).as(restoreRun.out()).isZero();
        assertThat(restoreRun.out()).contains(String.format("Kafka tail: %,d point(s) of the selection", tail));
        assertThat(TsdData.query(TsdClient.of(restored), List.of(METRIC), T0 * 1000, (T0 + 3600) * 1000)).isEqualTo(written);

        List<String> verify = new ArrayList<>(List.of("verify", "--archive", dir.resolve("archive").toString(), "--topic", topic,
                "--catalog-bootstrap", bootstrap, "--json"));
        verify.addAll(kafkaArgs);
        CliRun verified = CliRun.run(verify);
        assertThat(verified.exit()).as(verified.out()).isZero();
        assertThat(JSON.readTree(verified.out()).path("ok").asBoolean()).isTrue();

        List<String> list = new ArrayList<>(List.of("list", "--archive", dir.resolve("archive").toString(), "--topic", topic,
                "--bootstrap-servers", bootstrap, "--archiver-id", archiverId, "--json"));
        list.addAll(kafkaArgs);
        CliRun listed = CliRun.run(list);
        long behind = 0;
        for (JsonNode partition : JSON.readTree(listed.out()).path("kafka").path("partitions")) {
            behind += partition.path("behindRecords").asLong();
        }
        assertThat(behind).as(listed.out()).isEqualTo(tail);

        // The same restore with a wrong password: one clear error about authentication, nothing written.
        List<String> wrong = new ArrayList<>(restore);
        wrong.set(wrong.indexOf("sasl.jaas.config=" + secure.get("sasl.jaas.config")),
                "sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username=\"rewind\" password=\"wrong\";");
        wrong.add("--dry-run");
        CliRun refused = CliRun.run(wrong);
        assertThat(refused.exit()).as(refused.out()).isNotZero();
        assertThat(refused.out()).containsIgnoringCase("authentication").doesNotContain("\tat ");
    }

    /** Puts points {@code [first, last)} of host {@code host} through the tap over HTTP, acknowledged once Kafka has them. */
    private static int put(TsdClient tap, String host, int first, int last) {
        StringBuilder body = new StringBuilder("[");
        for (int i = first; i < last; i++) {
            body.append(i == first ? "" : ",").append("{\"metric\":\"").append(METRIC).append("\",\"timestamp\":").append(T0 + i * 10)
                    .append(",\"value\":").append(i * 1.5).append(",\"tags\":{\"host\":\"").append(host).append("\"}}");
        }
        TsdClient.Response response = tap.post("/api/put?sync", body + "]", false);
        assertThat(response.status()).as(response.body()).isIn(200, 204);
        return last - first;
    }
}
