package io.rewind.bench;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.rewind.archive.ArchiveLayout;
import io.rewind.archive.segment.SegmentFiles;
import io.rewind.archive.segment.SegmentReader;
import io.rewind.archive.segment.SeriesPoints;
import io.rewind.archive.storage.local.LocalStorage;
import io.rewind.archiver.Archiver;
import io.rewind.archiver.ArchiverConfig;
import io.rewind.devstack.DevStack;
import io.rewind.devstack.KafkaBroker;
import io.rewind.schema.AvroTrust;
import io.rewind.schema.Point;
import io.rewind.schema.SeriesKey;
import io.rewind.schema.wire.SingleObjectWireFormat;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * The archiver's throughput against Kafka Streams apps doing no work, over the same topic on the same
 * broker in one run, and the delay from produce to durable part under a steady live load.
 * <pre>bin/rewind bench archiver [hours] [live points/s] [live seconds]</pre>
 * <ol>
 *   <li>fills a 4-partition topic with {@code hours} of {@link RealisticDataset} (645,120 points an hour);</li>
 *   <li>reads it all with, one after the other, each a fresh application from the earliest offset,
 *       exactly_once_v2, one stream thread, commit interval 5 s: a pass-through app (every record to an
 *       output topic), the archiver (into a local directory), and a consume-only app; each rate is
 *       points over the time from its first record read to its last one done (forwarded, durable, read);</li>
 *   <li>runs the archiver with its default 30 s commit interval on a second topic fed at a steady rate,
 *       and takes, for every archived point, the time from its produce (record timestamp) to its part
 *       file being durable (the file's modification time).</li>
 * </ol>
 */
public final class ArchiverBenchmark {
    private static final int PARTITIONS = 4;
    private static final long START = 1_763_726_400_000L;

    public static void main(String[] args) throws Exception {
        AvroTrust.trustRewindSchemas();
        int hours = args.length > 0 ? Integer.parseInt(args[0]) : 3;
        int liveRate = args.length > 1 ? Integer.parseInt(args[1]) : 20_000;
        int liveSeconds = args.length > 2 ? Integer.parseInt(args[2]) : 120;
        Path work = Path.of(".rewind", "bench-archiver").toAbsolutePath();
        DevStack.deleteRecursively(work);
        KafkaBroker kafka = KafkaBroker.startAlone(work.resolve("kafka"), true);
        try {
            List<Point> points = new ArrayList<>();
            for (int h = 0; h < hours; h++) {
                for (SeriesPoints series : RealisticDataset.hour(START + h * ArchiveLayout.HOUR_MS)) {
                    for (int i = 0; i < series.size(); i++) {
                        points.add(series.toPoint(i));
                    }
                }
            }
            kafka.createTopic("bench-points", PARTITIONS, Map.of());
            kafka.createTopic("bench-out", PARTITIONS, Map.of());
            long producedIn = produce(kafka, "bench-points", points, 0);
            System.out.printf("Topic bench-points: %,d points in %d partitions, produced at %,.0f points/s%n", points.size(), PARTITIONS,
                    points.size() * 1e9 / producedIn);

            double passThrough = noWorkApp(kafka, "bench-pass-through", true, points.size(), work);
            double archiver = archiver(kafka, points.size(), work);
            double consumeOnly = noWorkApp(kafka, "bench-consume-only", false, points.size(), work);
            System.out.println();
            System.out.printf("%-44s %14s %10s%n", "app (exactly_once_v2, 1 thread, commit 5 s)", "points/s", "ratio");
            System.out.printf("%-44s %,14.0f %9.2fx%n", "pass-through (every record to a topic)", passThrough, 1.0);
            System.out.printf("%-44s %,14.0f %9.2fx%n", "Rewind archiver (parts durable on disk)", archiver, archiver / passThrough);
            System.out.printf("%-44s %,14.0f %9.2fx%n", "consume-only (reads, writes nothing)", consumeOnly, consumeOnly / passThrough);
            System.out.printf("archiver vs pass-through: %.2fx (target >= 0.8), vs consume-only: %.2fx%n%n", archiver / passThrough,
                    archiver / consumeOnly);

            live(kafka, points, liveRate, liveSeconds, work);
        } finally {
            kafka.stop();
        }
    }

    private static long produce(KafkaBroker kafka, String topic, List<Point> points, int ratePerSecond) throws Exception {
        SingleObjectWireFormat<Point> format = new SingleObjectWireFormat<>(Point.class);
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.LINGER_MS_CONFIG, 20);
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, 512 * 1024);
        p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "zstd");
        long started = System.nanoTime();
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
            for (int i = 0; i < points.size(); i++) {
                if (ratePerSecond > 0) {
                    long due = started + (long) (i * 1e9 / ratePerSecond);
                    while (System.nanoTime() < due) {
                        Thread.onSpinWait();
                    }
                }
                Point point = points.get(i);
                producer.send(new ProducerRecord<>(topic, null, System.currentTimeMillis(), SeriesKey.of(point).toBytes(), format.encode(point)));
            }
            producer.flush();
        }
        return System.nanoTime() - started;
    }

    private static Properties streams(KafkaBroker kafka, String id, Path work) {
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, id);
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 5_000);
        p.put(StreamsConfig.STATE_DIR_CONFIG, work.resolve("state-" + id).toString());
        p.put(StreamsConfig.producerPrefix(ProducerConfig.COMPRESSION_TYPE_CONFIG), "zstd");
        return p;
    }

    /** A Kafka Streams app that does no work on the points: forwards each record to bench-out, or only reads it. */
    private static double noWorkApp(KafkaBroker kafka, String id, boolean forward, long expected, Path work) throws Exception {
        AtomicLong count = new AtomicLong();
        Topology topology = new Topology();
        topology.addSource("in", Serdes.ByteArray().deserializer(), Serdes.ByteArray().deserializer(), "bench-points");
        topology.addProcessor("count", () -> new Processor<byte[], byte[], byte[], byte[]>() {
            private ProcessorContext<byte[], byte[]> context;

            @Override
            public void init(ProcessorContext<byte[], byte[]> context) {
                this.context = context;
            }

            @Override
            public void process(Record<byte[], byte[]> record) {
                if (forward) {
                    context.forward(record);
                }
                count.incrementAndGet();
            }
        }, "in");
        if (forward) {
            topology.addSink("out", "bench-out", Serdes.ByteArray().serializer(), Serdes.ByteArray().serializer(), "count");
        }
        try (KafkaStreams app = new KafkaStreams(topology, streams(kafka, id, work))) {
            app.start();
            return rate(id, count::get, count::get, expected);
        }
    }

    private static double archiver(KafkaBroker kafka, long expected, Path work) throws Exception {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        Path archive = work.resolve("archive");
        ArchiverConfig config = ArchiverConfig.of(Map.of("bootstrap.servers", kafka.bootstrapServers(), "topic", "bench-points",
                "application.id", "bench-archiver", "storage", archive.toString(), "state.dir", work.resolve("state-archiver").toString(),
                "commit.interval.ms", "5s", "admin.port", "0", "grace.ms", "1d"));
        try (Archiver archiver = Archiver.start(config, new LocalStorage(archive), registry)) {
            return rate("Rewind archiver", () -> (long) registry.get("rewind.archiver.points.read").counter().count(),
                    () -> (long) registry.get("rewind.archiver.points.archived").counter().count(), expected);
        }
    }

    /** Points per second from the first point read until {@code done} reaches the expected count. */
    private static double rate(String name, java.util.function.LongSupplier read, java.util.function.LongSupplier done, long expected)
            throws InterruptedException {
        while (read.getAsLong() == 0) {
            Thread.sleep(5);
        }
        long started = System.nanoTime();
        long deadline = started + 30 * 60 * 1_000_000_000L;
        while (done.getAsLong() < expected) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(name + " did not finish: " + done.getAsLong() + " of " + expected);
            }
            Thread.sleep(5);
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        System.out.printf("%-30s %,d points in %.1f s%n", name, expected, seconds);
        return expected / seconds;
    }

    /** A steady load into the archiver with its default commit interval; the delay of every point to its durable part. */
    private static void live(KafkaBroker kafka, List<Point> points, int rate, int seconds, Path work) throws Exception {
        kafka.createTopic("bench-live", PARTITIONS, Map.of());
        // The same points, moved to now: their windows stay open, so only parts are written during the run.
        long shift = (System.currentTimeMillis() / ArchiveLayout.HOUR_MS - 1) * ArchiveLayout.HOUR_MS - START;
        List<Point> load = points.subList(0, (int) Math.min(points.size(), (long) rate * seconds)).stream()
                .map(p -> Point.newBuilder(p).setTimestampMs(p.getTimestampMs() + shift).build()).toList();
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        Path archive = work.resolve("archive-live");
        ArchiverConfig config = ArchiverConfig.of(Map.of("bootstrap.servers", kafka.bootstrapServers(), "topic", "bench-live",
                "application.id", "bench-live", "storage", archive.toString(), "state.dir", work.resolve("state-live").toString(),
                "admin.port", "0", "grace.ms", "1d"));
        try (Archiver archiver = Archiver.start(config, new LocalStorage(archive), registry)) {
            while (archiver.state() != KafkaStreams.State.RUNNING) {
                Thread.sleep(10);
            }
            produce(kafka, "bench-live", load, rate);
            while (registry.get("rewind.archiver.points.archived").counter().count() < load.size()) {
                Thread.sleep(100);
            }
        }
        long[] delays = new long[load.size()];
        int n = 0;
        try (LocalStorage storage = new LocalStorage(archive); Stream<Path> files = Files.walk(archive)) {
            for (Path file : files.filter(f -> ArchiveLayout.parse(archive.relativize(f).toString()).filter(name -> !name.segment())
                    .isPresent()).toList()) {
                long durable = Files.getLastModifiedTime(file).toMillis();
                try (SegmentReader reader = SegmentFiles.open(storage, archive.relativize(file).toString(), id -> true)) {
                    while (reader.hasNext()) {
                        SeriesPoints series = reader.next();
                        for (int i = 0; i < series.size() && n < delays.length; i++) {
                            delays[n++] = durable - series.ingestTimeMs(i);
                        }
                    }
                }
            }
        }
        Arrays.sort(delays, 0, n);
        System.out.printf("Live: %,d points at %,d points/s, commit interval 30 s: produce to durable part p50 %.1f s, p99 %.1f s, max %.1f s"
                + " (target p99 <= 35 s)%n", n, rate, delays[n / 2] / 1e3, delays[(int) (n * 0.99)] / 1e3, delays[n - 1] / 1e3);
    }
}
