package io.rewind.devstack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.rewind.devstack.junit.DevStackExtension;
import io.rewind.devstack.process.Await;
import io.rewind.schema.Point;
import io.rewind.schema.SamplePoints;
import io.rewind.schema.SeriesKey;
import io.rewind.schema.SeriesKeySerde;
import io.rewind.schema.TimestampPrecision;
import io.rewind.schema.wire.SingleObjectWireFormat;
import io.rewind.schema.wire.WireFormatSerde;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.SslAuthenticationException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The dev stack's broker is a real Kafka: points go through it keyed by series, in the project's wire format. */
@ExtendWith(DevStackExtension.class)
class KafkaBrokerIT {
    private static final SeriesKeySerde KEYS = new SeriesKeySerde();
    private static final WireFormatSerde<Point> POINTS = new WireFormatSerde<>(new SingleObjectWireFormat<>(Point.class));

    @Test
    void theSaslSslListenerServesTheScramUserOverTlsAndRefusesAWrongPassword(DevStack stack) throws Exception {
        stack.kafka().createTopic("it-secure", 1, Map.of());
        Map<String, Object> secure = new HashMap<>(stack.kafka().secureClientSettings());
        secure.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafka().secureBootstrapServers());
        secure.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 20_000);
        secure.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        try (Admin admin = Admin.create(secure)) {
            assertThat(admin.listTopics().names().get()).contains("it-secure");
        }
        Map<String, Object> wrong = new HashMap<>(secure);
        wrong.put("sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required username=\""
                + KafkaBroker.SCRAM_USER + "\" password=\"not-the-password\";");
        try (Admin admin = Admin.create(wrong)) {
            assertThatThrownBy(() -> admin.listTopics().names().get()).hasCauseInstanceOf(SaslAuthenticationException.class);
        }
        Map<String, Object> untrusted = new HashMap<>(secure);
        untrusted.remove("ssl.truststore.type");
        untrusted.remove("ssl.truststore.location"); // the JDK's CAs do not know the broker's
        try (Admin admin = Admin.create(untrusted)) {
            assertThatThrownBy(() -> admin.listTopics().names().get()).hasCauseInstanceOf(SslAuthenticationException.class);
        }
    }

    @Test
    void pointsProducedAreConsumedWithTheirSeriesKeyInSeriesOrder(DevStack stack) {
        stack.kafka().createTopic("it-points", 4, Map.of());
        List<Point> sent = new ArrayList<>(SamplePoints.everyKind());
        for (int i = 0; i < 1_000; i++) {
            sent.add(SamplePoints.put("sys.cpu.user", 1_763_726_400_000L + i / 20 * 10_000L, TimestampPrecision.SECONDS,
                    i % 2 == 0 ? (Object) (long) i : (Object) (i / 4.0), Map.of("host", "web" + i % 20, "cpu", "0")));
        }

        produce(stack, "it-points", sent);
        List<ConsumerRecord<SeriesKey, Point>> received = consume(stack, "it-points", 4, sent.size());

        assertThat(received).extracting(ConsumerRecord::value).containsExactlyInAnyOrderElementsOf(sent);
        assertThat(received).allSatisfy(r -> assertThat(r.key()).isEqualTo(SeriesKey.of(r.value())));
        Map<SeriesKey, Integer> partitionOfSeries = new HashMap<>();
        Map<SeriesKey, List<Point>> receivedBySeries = new HashMap<>();
        for (ConsumerRecord<SeriesKey, Point> record : received) {
            assertThat(partitionOfSeries.computeIfAbsent(record.key(), k -> record.partition()))
                    .as("partition of " + record.key()).isEqualTo(record.partition());
            receivedBySeries.computeIfAbsent(record.key(), k -> new ArrayList<>()).add(record.value());
        }
        Map<SeriesKey, List<Point>> sentBySeries = new HashMap<>();
        sent.forEach(p -> sentBySeries.computeIfAbsent(SeriesKey.of(p), k -> new ArrayList<>()).add(p));
        assertThat(receivedBySeries).isEqualTo(sentBySeries);
    }

    @Test
    void brokerServesAgainOnTheSameAddressAfterARestart(DevStack stack) throws Exception {
        stack.kafka().createTopic("it-restart", 1, Map.of());
        Point before = SamplePoints.everyKind().get(0);
        Point after = SamplePoints.everyKind().get(1);
        produce(stack, "it-restart", List.of(before));

        stack.kafka().stop();
        stack.kafka().start();
        produce(stack, "it-restart", List.of(after));

        assertThat(consume(stack, "it-restart", 1, 2)).extracting(ConsumerRecord::value).containsExactly(before, after);
    }

    private static void produce(DevStack stack, String topic, List<Point> points) {
        Map<String, Object> config = Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafka().bootstrapServers(),
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        try (KafkaProducer<SeriesKey, Point> producer = new KafkaProducer<>(config, KEYS.serializer(), POINTS.serializer())) {
            for (Point point : points) {
                producer.send(new ProducerRecord<>(topic, SeriesKey.of(point), point));
            }
            producer.flush();
        }
    }

    private static List<ConsumerRecord<SeriesKey, Point>> consume(DevStack stack, String topic, int partitions, int count) {
        Map<String, Object> config = Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafka().bootstrapServers(),
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        List<ConsumerRecord<SeriesKey, Point>> received = new ArrayList<>();
        try (KafkaConsumer<SeriesKey, Point> consumer = new KafkaConsumer<>(config, KEYS.deserializer(), POINTS.deserializer())) {
            List<TopicPartition> all = new ArrayList<>();
            for (int p = 0; p < partitions; p++) {
                all.add(new TopicPartition(topic, p));
            }
            consumer.assign(all);
            consumer.seekToBeginning(all);
            Await.until(count + " records from " + topic, Duration.ofSeconds(60), () -> { }, () -> {
                consumer.poll(Duration.ofMillis(200)).forEach(received::add);
                return received.size() >= count;
            });
        }
        return received;
    }
}
