package io.rewind.tap;

import static org.assertj.core.api.Assertions.assertThat;

import io.rewind.devstack.DevStack;
import io.rewind.devstack.KafkaBroker;
import io.rewind.devstack.Tsd;
import io.rewind.devstack.TsdClient;
import io.rewind.devstack.junit.DevStackExtension;
import io.rewind.devstack.process.Await;
import io.rewind.schema.Point;
import io.rewind.tap.config.TapConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Guarantee 1 when Kafka or the TSD goes away: nothing the tap took is lost, nothing is doubled. */
@ExtendWith(DevStackExtension.class)
class TapDeliveryIT {
    private static final long T0 = 1_763_726_400L;

    @TempDir
    Path dir;

    private static Map<String, String> settings(String bootstrap, String topic, Path spool, String upstreams) {
        Map<String, String> s = TapConfig.localSettings(bootstrap, topic, spool, upstreams);
        s.put("upstream.health.interval.ms", "500");
        s.put("ack.timeout.ms", "5s");
        // A small window, so the spool takes over quickly while Kafka is away.
        s.put("delivery.window.max.bytes", "256KiB");
        return s;
    }

    /** Points {@code from..to-1}: one series per host, one second apart, so each (series, time) is unique. */
    private static List<String> lines(int from, int to) {
        List<String> lines = new ArrayList<>();
        for (int i = from; i < to; i++) {
            lines.add("put tapit.outage " + (T0 + i / 100) + " " + i + " host=h" + (i % 100));
        }
        return lines;
    }

    private static void send(TsdClient tap, int from, int to) {
        for (int start = from; start < to; start += 5_000) {
            assertThat(tap.telnet(lines(start, Math.min(to, start + 5_000)))).isEmpty();
        }
    }

    private static void assertExactlyOnce(List<TopicPoints.Record> records, int count) {
        Set<Long> values = new HashSet<>();
        for (TopicPoints.Record r : records) {
            Point p = r.point();
            long i = (Long) p.getValue();
            assertThat(p.getTimestampMs()).isEqualTo((T0 + i / 100) * 1000);
            assertThat(p.getTags()).containsEntry("host", "h" + (i % 100));
            values.add(i);
        }
        assertThat(values).as("distinct points").hasSize(count);
        assertThat(records).as("records, duplicates included").hasSize(count);
    }

    @Test
    void pointsWrittenWhileKafkaIsAwayReachItExactlyOnceAndARestartedTapDrainsTheSpoolItFinds(DevStack stack) throws Exception {
        KafkaBroker kafka = KafkaBroker.startAlone(dir.resolve("kafka"), true);
        try {
            String topic = "tap-it-outage";
            kafka.createTopic(topic, 4, Map.of());
            Path spool = dir.resolve("spool");
            try (Tap tap = Tap.start(TapConfig.of(settings(kafka.bootstrapServers(), topic, spool, "")))) {
                TsdClient client = new TsdClient("127.0.0.1", tap.port());
                send(client, 0, 30_000);
                kafka.stop();
                send(client, 30_000, 70_000);
                assertThat(tap.publisher().spool().pendingBytes()).as("spooled while Kafka was away").isPositive();
                kafka.start();
                send(client, 70_000, 100_000);
                assertExactlyOnce(TopicPoints.read(kafka.bootstrapServers(), topic, 100_000, Duration.ofSeconds(180)), 100_000);

                kafka.stop();
                send(client, 100_000, 110_000);
            }
            kafka.start();
            try (Tap restarted = Tap.start(TapConfig.of(settings(kafka.bootstrapServers(), topic, spool, "")))) {
                assertThat(restarted.publisher().spool().pendingBytes()).as("left by the last tap").isPositive();
                Await.until("the restarted tap to drain its spool", Duration.ofSeconds(180), () -> { },
                        () -> restarted.publisher().spool().pendingBytes() == 0);
            }
            // Read once no tap runs any more, so that a batch sent again late is counted too.
            assertExactlyOnce(TopicPoints.read(kafka.bootstrapServers(), topic, 110_000, Duration.ofSeconds(180)), 110_000);
        } finally {
            kafka.stop();
        }
    }

    @Test
    void aDrainedBatchGoesToKafkaAtOnceNotAfterTheProducersLinger(DevStack stack) throws Exception {
        // With durability=wal every point goes through the spool; the drainer waits for Kafka's answer to each batch, so a
        // batch that waited out the producer's linger (here ten minutes) would hold the drain up that long.
        KafkaBroker kafka = stack.kafka();
        String topic = "tap-it-drain-linger";
        kafka.createTopic(topic, 4, Map.of());
        Map<String, String> settings = settings(kafka.bootstrapServers(), topic, dir.resolve("spool-linger"), "");
        settings.put("durability", "wal");
        settings.put("kafka.linger.ms", "600000");
        try (Tap tap = Tap.start(TapConfig.of(settings))) {
            send(new TsdClient("127.0.0.1", tap.port()), 0, 2_000);
            TopicPoints.read(kafka.bootstrapServers(), topic, 2_000, Duration.ofSeconds(60));
        }
        assertExactlyOnce(TopicPoints.read(kafka.bootstrapServers(), topic, 2_000, Duration.ofSeconds(60)), 2_000);
    }

    @Test
    void aTapStartedBeforeItsTopicExistsSaysSoOnItsHealthEndpointsAndDrainsItsSpoolIntoTheTopicOnceCreated(DevStack stack)
            throws Exception {
        KafkaBroker kafka = stack.kafka();
        String topic = "tap-it-no-topic-yet";
        try (Tap tap = Tap.start(TapConfig.of(settings(kafka.bootstrapServers(), topic, dir.resolve("spool-no-topic"), "")))) {
            send(new TsdClient("127.0.0.1", tap.port()), 0, 2_000);
            for (String endpoint : List.of("/healthz", "/readyz")) {
                HttpResponse<String> answer = admin(tap, endpoint);
                assertThat(answer.statusCode()).as(endpoint).isEqualTo(503);
                assertThat(answer.body()).as(endpoint).contains("points are waiting in the spool")
                        .contains("topic '" + topic + "' does not exist").contains("kafka-topics.sh --bootstrap-server");
            }
            assertThat(tap.publisher().spool().pendingBytes()).isPositive();

            kafka.createTopic(topic, 2, Map.of());
            TopicPoints.read(kafka.bootstrapServers(), topic, 2_000, Duration.ofSeconds(90));
            Await.until("the tap to say points go to Kafka", Duration.ofSeconds(30), () -> { },
                    () -> admin(tap, "/healthz").body().contains("points go to Kafka") && admin(tap, "/readyz").statusCode() == 200);
        }
        assertExactlyOnce(TopicPoints.read(kafka.bootstrapServers(), topic, 2_000, Duration.ofSeconds(90)), 2_000);
    }

    private static HttpResponse<String> admin(Tap tap, String path) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + tap.adminPort() + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void whenTheTsdGoesAwayHttpClientsGetAnErrorAndEveryAcknowledgedPointIsInKafka(DevStack stack) throws Exception {
        String topic = "tap-it-upstream-down";
        stack.kafka().createTopic(topic, 2, Map.of());
        Tsd upstream = stack.tsd("tap-upstream", Map.of());
        try (Tap tap = Tap.start(TapConfig.of(settings(stack.kafka().bootstrapServers(), topic, dir.resolve("spool"),
                "127.0.0.1:" + upstream.port())))) {
            TsdClient client = new TsdClient("127.0.0.1", tap.port());
            Set<String> acknowledged = new HashSet<>();
            int failed = 0;
            for (int request = 0; request < 40; request++) {
                if (request == 20) {
                    upstream.stop();
                }
                StringBuilder body = new StringBuilder("[");
                List<String> keys = new ArrayList<>();
                for (int k = 0; k < 10; k++) {
                    long ts = T0 + request * 10L + k;
                    body.append(k == 0 ? "" : ",").append("{\"metric\":\"tapit.down\",\"timestamp\":").append(ts)
                            .append(",\"value\":").append(k).append(",\"tags\":{\"host\":\"a\"}}");
                    keys.add(ts * 1000 + "");
                }
                TsdClient.Response response = client.post("/api/put", body.append("]").toString(), request % 2 == 0);
                if (response.status() / 100 == 2) {
                    acknowledged.addAll(keys);
                } else {
                    failed++;
                    assertThat(response.status()).isEqualTo(503);
                    assertThat(response.json().path("error").path("code").asInt()).isEqualTo(503);
                }
            }
            assertThat(acknowledged).hasSize(200);
            assertThat(failed).isEqualTo(20);
            Set<String> inKafka = new HashSet<>();
            for (TopicPoints.Record r : TopicPoints.read(stack.kafka().bootstrapServers(), topic, acknowledged.size(), Duration.ofSeconds(60))) {
                inKafka.add(Long.toString(r.point().getTimestampMs()));
            }
            assertThat(inKafka).containsAll(acknowledged);
        } finally {
            upstream.stop();
        }
    }

    @Test
    void whenOneOfTwoTsdsStopsUnderLoadTheOtherTakesTheTrafficAndTheStoppedOneRejoins(DevStack stack) throws Exception {
        String topic = "tap-it-failover";
        stack.kafka().createTopic(topic, 2, Map.of());
        Tsd a = stack.tsd("tap-failover-a", Map.of());
        Tsd b = stack.tsd("tap-failover-b", Map.of());
        try (Tap tap = Tap.start(TapConfig.of(settings(stack.kafka().bootstrapServers(), topic, dir.resolve("spool"),
                "127.0.0.1:" + a.port() + ",127.0.0.1:" + b.port())))) {
            Set<Long> acknowledged = ConcurrentHashMap.newKeySet();
            AtomicInteger refused = new AtomicInteger();
            CountDownLatch stopped = new CountDownLatch(1);
            // Four clients, each on its own connections, writing while the first of them stops TSD a.
            ExecutorService clients = Executors.newFixedThreadPool(4);
            List<Future<?>> load = new ArrayList<>();
            List<TsdClient> https = new ArrayList<>();
            for (int c = 0; c < 4; c++) {
                https.add(new TsdClient("127.0.0.1", tap.port())); // its connections kept alive from request to request
            }
            for (int c = 0; c < 4; c++) {
                int client = c;
                load.add(clients.submit(() -> {
                    TsdClient http = https.get(client);
                    for (int request = 0; request < 40; request++) {
                        if (client == 0 && request == 15) {
                            a.stop();
                            stopped.countDown();
                        }
                        long first = T0 + 100_000L * client + 10L * request;
                        // ?sync: a 2xx means the TSD has its points in HBase, so that the TSDs can be checked for them.
                        TsdClient.Response response = http.post("/api/put?sync", failoverBody(first, 10), false);
                        record(response, first, 10, acknowledged, refused);
                    }
                    return null;
                }));
            }
            for (Future<?> client : load) {
                client.get(5, TimeUnit.MINUTES);
            }
            clients.shutdown();
            assertThat(stopped.getCount()).isZero();
            // Every request was answered 2xx or refused in OpenTSDB's shape (record checks each); the first client's
            // requests before it stopped TSD a were all acknowledged, whichever TSD took them.
            assertThat(acknowledged).as("the first client's points before TSD a stopped")
                    .containsAll(java.util.stream.LongStream.range(T0, T0 + 150).boxed().toList());

            // Once the health check has seen it, no request goes to the stopped TSD: on the clients' own connections, kept
            // alive through the stop, and on new connections, every request is answered by b.
            Await.until("the health check sees TSD a down", Duration.ofSeconds(30), () -> { }, () -> healthyUpstreams(tap) == 1);
            for (int c = 0; c < 4; c++) {
                for (int request = 40; request < 45; request++) {
                    long first = T0 + 100_000L * c + 10L * request;
                    TsdClient.Response response = https.get(c).post("/api/put?sync", failoverBody(first, 10), false);
                    assertThat(response.status()).as("client %d after the health check: %s", c, response.body()).isBetween(200, 299);
                    record(response, first, 10, acknowledged, refused);
                }
            }
            putEachOnANewConnection(tap, T0 + 500_000L, acknowledged);
            assertThat(TsdClient.of(b).query("tapit.failover", (T0 + 500_000L) * 1000, (T0 + 500_200L) * 1000))
                    .flatExtracting(series -> series.points().keySet()).hasSize(200);

            // a back: after its health check, new connections go to it again.
            a.start();
            Await.until("the health check sees TSD a up", Duration.ofSeconds(30), () -> { }, () -> healthyUpstreams(tap) == 2);
            putEachOnANewConnection(tap, T0 + 600_000L, acknowledged);
            assertThat(TsdClient.of(a).query("tapit.failover", (T0 + 600_000L) * 1000, (T0 + 600_200L) * 1000))
                    .as("points TSD a stored after it rejoined").flatExtracting(series -> series.points().keySet()).isNotEmpty();
            // Every point acknowledged under load (synchronously: once in HBase) is stored by one of the TSDs: a before it
            // stopped, or b.
            List<Long> loadAcknowledged = acknowledged.stream().filter(t -> t < T0 + 400_000L).toList();
            Set<Long> stored = new HashSet<>();
            Await.until("the TSDs to hold every point acknowledged under load", Duration.ofSeconds(60), () -> { }, () -> {
                for (Tsd tsd : List.of(a, b)) {
                    TsdClient.of(tsd).query("tapit.failover", T0 * 1000, (T0 + 400_000L) * 1000)
                            .forEach(series -> series.points().keySet().forEach(ms -> stored.add(ms / 1000)));
                }
                return stored.containsAll(loadAcknowledged);
            });

            Set<Long> inKafka = new HashSet<>();
            for (TopicPoints.Record r : TopicPoints.read(stack.kafka().bootstrapServers(), topic, acknowledged.size(), Duration.ofSeconds(60))) {
                inKafka.add(r.point().getTimestampMs() / 1000);
            }
            assertThat(inKafka).containsAll(acknowledged);
        }
    }

    /** Twenty requests of ten points from {@code first} seconds on, each on a new connection, each answered 204. */
    private static void putEachOnANewConnection(Tap tap, long first, Set<Long> acknowledged) {
        for (int i = 0; i < 20; i++) {
            long from = first + 10L * i;
            TsdClient.Response response = new TsdClient("127.0.0.1", tap.port()).post("/api/put", failoverBody(from, 10), false);
            assertThat(response.status()).as(response.body()).isEqualTo(204);
            record(response, from, 10, acknowledged, new AtomicInteger());
        }
    }

    /** Ten points of one series at {@code first}, {@code first + 1}, ... seconds. */
    private static String failoverBody(long first, int count) {
        StringBuilder body = new StringBuilder("[");
        for (int k = 0; k < count; k++) {
            body.append(k == 0 ? "" : ",").append("{\"metric\":\"tapit.failover\",\"timestamp\":").append(first + k)
                    .append(",\"value\":").append(k).append(",\"tags\":{\"host\":\"a\"}}");
        }
        return body.append("]").toString();
    }

    /** A 2xx acknowledges the request's points; anything else must be OpenTSDB's 503 error shape. */
    private static void record(TsdClient.Response response, long first, int count, Set<Long> acknowledged, AtomicInteger refused) {
        if (response.status() / 100 == 2) {
            for (int k = 0; k < count; k++) {
                acknowledged.add(first + k);
            }
        } else if (response.status() == 400 && response.body().contains("One or more data points had errors")) {
            refused.incrementAndGet(); // a TSD stopping while a ?sync put was in flight: its own refusal, forwarded
        } else {
            refused.incrementAndGet();
            assertThat(response.status()).as(response.body()).isEqualTo(503);
            assertThat(response.json().path("error").path("code").asInt()).isEqualTo(503);
        }
    }

    private static double healthyUpstreams(Tap tap) {
        return tap.metrics().registry().get("rewind.tap.upstreams.healthy").gauge().value();
    }
}
