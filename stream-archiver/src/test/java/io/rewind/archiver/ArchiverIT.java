package io.rewind.archiver;

import static org.assertj.core.api.Assertions.assertThat;

import io.rewind.archive.storage.Storage;
import io.rewind.archive.storage.local.LocalStorage;
import io.rewind.archive.storage.s3.S3ProxyServer;
import io.rewind.archive.storage.s3.S3Storage;
import io.rewind.archive.segment.SeriesPoints;
import io.rewind.devstack.DevStack;
import io.rewind.devstack.junit.DevStackExtension;
import io.rewind.devstack.process.Await;
import io.rewind.schema.AvroTrust;
import io.rewind.schema.CatalogAction;
import io.rewind.schema.CatalogRecord;
import io.rewind.schema.wire.SingleObjectWireFormat;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The archiver in this JVM against the real broker: a local directory, and S3 (S3Proxy) through an outage. */
@ExtendWith(DevStackExtension.class)
class ArchiverIT {
    static {
        AvroTrust.trustRewindSchemas();
    }

    static final long HOUR = 3_600_000L;

    @TempDir
    Path dir;

    @Test
    void aMillionPointsOverThreeHoursEndUpInSegmentsExactlyOnce(DevStack stack) throws Exception {
        String topic = "it-archive-local";
        stack.kafka().createTopic(topic, 4, Map.of());
        long start = (System.currentTimeMillis() / HOUR - 6) * HOUR;
        PointLoad load = new PointLoad(start, 3 * HOUR, 1000, 1000, 0.02, 1);
        try (LocalStorage storage = new LocalStorage(dir.resolve("archive"));
                Archiver archiver = Archiver.start(config(stack, topic, storage.uri().toString()), new LocalStorage(dir.resolve("archive")));
                KafkaProducer<byte[], byte[]> producer = PointLoad.producer(stack.kafka().bootstrapServers())) {
            load.send(producer, topic, () -> { });
            awaitArchived(stack, topic, storage, Duration.ofMinutes(5));
            assertArchivedExactly(stack, topic, storage, load);
        }
    }

    @Test
    void onS3AStorageOutageLosesNothingAndTheArchiverCatchesUp(DevStack stack) throws Exception {
        String topic = "it-archive-s3";
        stack.kafka().createTopic(topic, 4, Map.of());
        long start = (System.currentTimeMillis() / HOUR - 6) * HOUR;
        PointLoad load = new PointLoad(start, 3 * HOUR, 200, 1000, 0.02, 2);
        try (S3ProxyServer s3 = new S3ProxyServer()) {
            var bucket = s3.bucket("archive", "rewind");
            try (Storage storage = new S3Storage(bucket);
                    Archiver archiver = Archiver.start(config(stack, topic, "s3://archive/rewind"), new S3Storage(bucket));
                    KafkaProducer<byte[], byte[]> producer = PointLoad.producer(stack.kafka().bootstrapServers())) {
                AtomicInteger chunks = new AtomicInteger();
                AtomicBoolean sawUnhealthy = new AtomicBoolean();
                load.send(producer, topic, () -> {
                    if (chunks.incrementAndGet() == 5) { // a quarter of the way: the store goes away for a while
                        try {
                            s3.stop();
                            Await.until("the archiver to report the storage outage", Duration.ofSeconds(90), () -> { },
                                    () -> status(archiver, "/healthz") == 503);
                            sawUnhealthy.set(true);
                            s3.start();
                        } catch (Exception e) {
                            throw new IllegalStateException(e);
                        }
                    }
                });
                assertThat(sawUnhealthy).isTrue();
                awaitArchived(stack, topic, storage, Duration.ofMinutes(5));
                Await.until("the archiver to be healthy again", Duration.ofSeconds(60), () -> { }, () -> status(archiver, "/healthz") == 200);
                assertArchivedExactly(stack, topic, storage, load);
                assertThat(scrape(archiver)).contains("rewind_archiver_errors_total{kind=\"storage\"}");
            }
        }
    }

    static ArchiverConfig config(DevStack stack, String topic, String storage) {
        Map<String, String> settings = new HashMap<>(Map.of("bootstrap.servers", stack.kafka().bootstrapServers(), "topic", topic,
                "application.id", "rewind-" + topic, "storage", storage, "commit.interval.ms", "2s", "grace.ms", "0",
                "compaction.delete.delay.ms", "0", "compaction.check.interval.ms", "1s", "admin.port", "0",
                "storage.retry.timeout.ms", "5s"));
        settings.put("state.dir", System.getProperty("java.io.tmpdir") + "/rewind-it-archiver/" + topic + "-" + System.nanoTime());
        return ArchiverConfig.of(settings);
    }

    /** Until the archiver has committed every input offset and no part is left: all windows compacted, parts deleted. */
    static void awaitArchived(DevStack stack, String topic, Storage storage, Duration timeout) {
        Await.until("every point of " + topic + " archived and compacted", timeout, () -> { },
                () -> caughtUp(stack, "rewind-" + topic, topic) && keys(storage).stream().noneMatch(k -> k.contains("/part-")));
    }

    static void assertArchivedExactly(DevStack stack, String topic, Storage storage, PointLoad load) throws Exception {
        Map<String, Integer> stored = StoredPoints.versions(storage);
        assertThat(stored.size()).isEqualTo(load.sent().size());
        assertThat(stored.values().stream().mapToInt(i -> i).sum()).isEqualTo(load.size()); // no duplicate
        assertThat(stored).isEqualTo(load.sent());
        for (StoredPoints.File file : StoredPoints.files(storage)) {
            assertThat(file.name().segment()).isTrue();
            for (SeriesPoints series : StoredPoints.read(storage, file.key())) {
                assertThat(series.sorted()).isSameAs(series);
            }
        }
        // The catalog's latest record per path names exactly the files in storage (its last DELETEs commit a moment after the deletions).
        Set<String> files = StoredPoints.files(storage).stream().map(StoredPoints.File::key).collect(Collectors.toCollection(TreeSet::new));
        Await.until("the catalog to name exactly the files in storage", Duration.ofSeconds(30), () -> { },
                () -> catalog(stack, topic + "-catalog").values().stream().filter(r -> r.getAction() == CatalogAction.ADD)
                        .map(CatalogRecord::getPath).collect(Collectors.toCollection(TreeSet::new)).equals(files));
    }

    static boolean caughtUp(DevStack stack, String group, String topic) throws Exception {
        try (Admin admin = stack.kafka().admin()) {
            Map<TopicPartition, org.apache.kafka.clients.consumer.OffsetAndMetadata> committed =
                    admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
            var ends = admin.listOffsets(committed.keySet().stream().filter(tp -> tp.topic().equals(topic))
                    .collect(Collectors.toMap(tp -> tp, tp -> OffsetSpec.latest()))).all().get();
            return ends.size() == 4 && ends.entrySet().stream().allMatch(e -> committed.get(e.getKey()).offset() >= e.getValue().offset());
        }
    }

    static List<String> keys(Storage storage) throws Exception {
        try (Stream<Storage.ObjectInfo> listed = storage.list("")) {
            return listed.map(Storage.ObjectInfo::key).toList();
        }
    }

    /** The catalog topic as a reader sees it: committed records only, latest per path. */
    static Map<String, CatalogRecord> catalog(DevStack stack, String topic) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafka().bootstrapServers());
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        SingleObjectWireFormat<CatalogRecord> format = new SingleObjectWireFormat<>(CatalogRecord.class);
        Map<String, CatalogRecord> latest = new HashMap<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream().map(i -> new TopicPartition(topic, i.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
            while (partitions.stream().anyMatch(tp -> consumer.position(tp) < ends.get(tp))) {
                consumer.poll(Duration.ofMillis(500)).forEach(r -> latest.put(r.key(), format.decode(r.value())));
            }
        }
        return latest;
    }

    static int status(Archiver archiver, String path) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + archiver.adminPort() + path)).build(),
                HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    static String scrape(Archiver archiver) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + archiver.adminPort() + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }
}
