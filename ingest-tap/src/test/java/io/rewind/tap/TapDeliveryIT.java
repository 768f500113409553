package io.rewind.tap;

import static org.assertj.core.api.Assertions.assertThat;

import io.rewind.devstack.DevStack;
import io.rewind.devstack.KafkaBroker;
import io.rewind.devstack.Tsd;
import io.rewind.devstack.TsdClient;
import io.rewind.devstack.junit.DevStackExtension;
import io.rewind.schema.Point;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
                assertExactlyOnce(TopicPoints.read(kafka.bootstrapServers(), topic, 110_000, Duration.ofSeconds(180)), 110_000);
            }
        } finally {
            kafka.stop();
        }
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
}
