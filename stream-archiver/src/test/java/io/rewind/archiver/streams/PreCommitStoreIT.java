package io.rewind.archiver.streams;

import static org.assertj.core.api.Assertions.assertThat;

import io.rewind.devstack.DevStack;
import io.rewind.devstack.junit.DevStackExtension;
import io.rewind.devstack.process.Await;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Kafka Streams behaviour the archiver's guarantee 2 rests on, checked against the real broker with
 * exactly_once_v2: a {@link PreCommitStore}'s hook runs in every commit before the offsets of the records it covers
 * are committed, and what it forwards through {@link CommitForwarder} is committed in the same transaction. If a
 * Kafka Streams upgrade changes either, this fails.
 */
@ExtendWith(DevStackExtension.class)
class PreCommitStoreIT {
    private static final String STORE = "offsets";
    private static final int RECORDS = 300;

    @TempDir
    Path dir;

    /** One run of the hook: the input offsets it covered, and the group's committed offset at that moment. */
    record Flush(long first, long last, long committedAtFlush) {
    }

    @Test
    void theHookRunsBeforeTheOffsetsItCoversAreCommittedAndWhatItForwardsCommitsWithThem(DevStack stack) throws Exception {
        String input = "it-precommit-in";
        String output = "it-precommit-out";
        String appId = "it-precommit";
        String bootstrap = stack.kafka().bootstrapServers();
        stack.kafka().createTopic(input, 1, Map.of());
        stack.kafka().createTopic(output, 1, Map.of());
        List<Flush> flushes = new CopyOnWriteArrayList<>();
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            TopicPartition partition = new TopicPartition(input, 0);
            Consumer<long[]> record = range -> flushes.add(new Flush(range[0], range[1], committed(admin, appId, partition)));
            Topology topology = new Topology();
            topology.addSource("in", input);
            topology.addProcessor("count", () -> new Buffering(record), "in");
            topology.addStateStore(new PreCommitStore.Builder<>(STORE, Offsets::new), "count");
            topology.addSink("out", output, Serdes.String().serializer(), Serdes.String().serializer(), "count");
            Properties props = new Properties();
            props.put(StreamsConfig.APPLICATION_ID_CONFIG, appId);
            props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
            props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
            props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, "200");
            props.put(StreamsConfig.STATE_DIR_CONFIG, dir.toString());
            props.put(StreamsConfig.DEFAULT_KEY_SERDE_CLASS_CONFIG, Serdes.ByteArraySerde.class);
            props.put(StreamsConfig.DEFAULT_VALUE_SERDE_CLASS_CONFIG, Serdes.ByteArraySerde.class);
            props.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");
            try (KafkaStreams streams = new KafkaStreams(topology, props);
                    KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                            ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class,
                            ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class))) {
                streams.start();
                for (int i = 0; i < RECORDS; i++) {
                    producer.send(new ProducerRecord<>(input, new byte[] {(byte) i}));
                    if (i % 50 == 49) {
                        producer.flush(); // several commits' worth of records
                    }
                }
                producer.flush();
                Await.until("the group commits every record", Duration.ofMinutes(2), () -> { }, () -> committed(admin, appId, partition) == RECORDS);
            }
        }
        assertThat(flushes).isNotEmpty();
        long next = 0;
        for (Flush flush : flushes) {
            assertThat(flush.first()).as("the hook's records follow the last ones").isEqualTo(next);
            assertThat(flush.committedAtFlush()).as("offsets committed when the hook for %s-%s ran", flush.first(), flush.last())
                    .isLessThanOrEqualTo(flush.first());
            next = flush.last() + 1;
        }
        assertThat(next).isEqualTo(RECORDS);
        List<String> forwarded = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed", ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class))) {
            TopicPartition out = new TopicPartition(output, 0);
            consumer.assign(List.of(out));
            consumer.seekToBeginning(List.of(out));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (forwarded.size() < flushes.size() && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                    forwarded.add(r.value());
                }
            }
        }
        assertThat(forwarded).as("what each hook forwarded, committed with its offsets")
                .containsExactlyElementsOf(flushes.stream().map(f -> f.first() + "-" + f.last()).toList());
    }

    private static long committed(Admin admin, String group, TopicPartition partition) {
        try {
            OffsetAndMetadata offset = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get().get(partition);
            return offset == null ? 0 : offset.offset();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Buffers the offsets it reads; the store's hook reports them and forwards their range. */
    private static final class Buffering implements Processor<byte[], byte[], String, String> {
        private final Consumer<long[]> onFlush;

        Buffering(Consumer<long[]> onFlush) {
            this.onFlush = onFlush;
        }

        private Offsets offsets;
        private ProcessorContext<String, String> context;

        @Override
        public void init(ProcessorContext<String, String> context) {
            this.context = context;
            this.offsets = context.getStateStore(STORE);
            CommitForwarder<String, String> forwarder = new CommitForwarder<>(context);
            offsets.hook = range -> {
                onFlush.accept(range);
                forwarder.forward(List.of(new Record<>("range", range[0] + "-" + range[1], System.currentTimeMillis())));
            };
        }

        @Override
        public void process(Record<byte[], byte[]> record) {
            offsets.add(context.recordMetadata().orElseThrow().offset());
        }
    }

    private static final class Offsets extends PreCommitStore {
        Consumer<long[]> hook;
        private long first = -1;
        private long last = -1;

        Offsets() {
            super(STORE);
        }

        void add(long offset) {
            first = first < 0 ? offset : first;
            last = offset;
        }

        @Override
        protected void beforeCommit() {
            if (first >= 0) {
                hook.accept(new long[] {first, last});
            }
            discard();
        }

        @Override
        protected void discard() {
            first = -1;
            last = -1;
        }
    }
}
