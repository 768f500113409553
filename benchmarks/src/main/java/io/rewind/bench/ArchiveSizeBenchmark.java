package io.rewind.bench;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.rewind.archive.ArchiveLayout;
import io.rewind.archive.segment.SegmentCodec;
import io.rewind.archive.segment.SegmentFiles;
import io.rewind.archive.segment.SegmentMetadata;
import io.rewind.archive.segment.SegmentReader;
import io.rewind.archive.segment.SegmentWriter;
import io.rewind.archive.segment.SeriesPoints;
import io.rewind.archive.storage.Storage;
import io.rewind.archive.storage.local.LocalStorage;
import io.rewind.archiver.Archiver;
import io.rewind.archiver.ArchiverConfig;
import io.rewind.devstack.DevStack;
import io.rewind.devstack.KafkaBroker;
import io.rewind.schema.AvroTrust;
import io.rewind.tap.Tap;
import io.rewind.tap.config.TapConfig;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * The archive's bytes per point against VictoriaMetrics' on the same put lines, in one run.
 * <pre>bin/rewind bench archive-size</pre>
 * For each dataset of {@link PutLineDatasets} (over a million points each):
 * <ol>
 *   <li>Rewind: the put lines go through a standalone tap (telnet, one connection per few hosts, as collectors send) into
 *       a Kafka topic; the archiver archives it, and once every window is compacted, the bytes of its segment files are
 *       counted (their checksum sidecars apart). The same segments, re-encoded in the previous format version, give the size
 *       before; their values' entropy, estimated by {@link ValueEntropy}, where the value columns can at best arrive.</li>
 *   <li>VictoriaMetrics, when Debian's {@code victoria-metrics} is installed (said so when not): the same points on its
 *       OpenTSDB HTTP listener, flushed and force-merged; the bytes of its data directory, and of its index.</li>
 * </ol>
 */
public final class ArchiveSizeBenchmark {
    private static final int CONNECTIONS = 4;
    private static final int PARTITIONS = 4;
    /** The format version the segments are also written in, for the size before. */
    private static final int PREVIOUS = SegmentCodec.FORMAT_VERSION - 1;

    private ArchiveSizeBenchmark() {
    }

    private record Archived(long bytes, long sidecars, long previous, double valueBits) {
    }

    private record Sizes(String dataset, long points, int series, long rewind, long rewindSidecars, long previous, double valueBits, long[] victoria) {
    }

    public static void main(String[] args) throws Exception {
        AvroTrust.trustRewindSchemas();
        Path work = Path.of(".rewind", "bench-archive-size").toAbsolutePath();
        DevStack.deleteRecursively(work);
        Optional<Path> victoria = VictoriaMetrics.binary();
        if (victoria.isEmpty()) {
            System.out.println("VictoriaMetrics is not installed (Debian's package victoria-metrics): Rewind's sizes only");
        }
        KafkaBroker kafka = KafkaBroker.startAlone(work.resolve("kafka"), true);
        List<Sizes> all = new ArrayList<>();
        try {
            for (PutLineDatasets.Dataset dataset : PutLineDatasets.all(CONNECTIONS)) {
                System.out.printf("%s: %s, %,d points in %,d series%n", dataset.name(), dataset.description(), dataset.points(), dataset.series());
                Archived rewind = rewind(kafka, dataset, work.resolve(dataset.name()));
                long[] vm = null;
                if (victoria.isPresent()) {
                    try (VictoriaMetrics node = VictoriaMetrics.start(victoria.get(), work.resolve(dataset.name()).resolve("victoria-metrics"))) {
                        if (all.isEmpty()) {
                            System.out.println("VictoriaMetrics: " + victoria.get());
                        }
                        for (StringBuilder lines : dataset.connections()) {
                            node.put(lines);
                        }
                        node.settle(dataset.points());
                        vm = node.bytes();
                    }
                }
                all.add(new Sizes(dataset.name(), dataset.points(), dataset.series(), rewind.bytes(), rewind.sidecars(), rewind.previous(), rewind.valueBits(), vm));
            }
        } finally {
            kafka.stop();
        }
        System.out.printf("%n%-8s %11s %16s %16s %16s %16s %12s%n", "dataset", "points", "Rewind v" + SegmentCodec.FORMAT_VERSION,
                "Rewind v" + PREVIOUS, "VictoriaMetrics", "VM with index", "Rewind / VM");
        for (Sizes s : all) {
            System.out.printf("%-8s %,11d %10.3f B/pt %10.3f B/pt %s %s %12s%n", s.dataset, s.points, s.rewind / (double) s.points,
                    s.previous / (double) s.points,
                    s.victoria == null ? String.format("%16s", "-") : String.format("%10.3f B/pt", s.victoria[0] / (double) s.points),
                    s.victoria == null ? String.format("%16s", "-") : String.format("%10.3f B/pt", (s.victoria[0] + s.victoria[1]) / (double) s.points),
                    s.victoria == null ? "-" : String.format("%.2fx", s.rewind / (double) s.victoria[0]));
        }
        for (Sizes s : all) {
            System.out.printf("%s: Rewind's segments %,d bytes (+%,d of checksum sidecars), v%d / v%d %.2fx%s%n", s.dataset, s.rewind,
                    s.rewindSidecars, SegmentCodec.FORMAT_VERSION, PREVIOUS, s.rewind / (double) s.previous, s.victoria == null ? ""
                            : String.format("; VictoriaMetrics' data %,d bytes, index %,d bytes", s.victoria[0], s.victoria[1]));
        }
        for (Sizes s : all) {
            double floor = s.valueBits / 8 / s.points;
            System.out.printf("%s: the values' entropy, estimated (ValueEntropy), %.3f B/pt: Rewind's values and the rest (timestamps,"
                    + " ingest times, names) take %.3f B/pt above it%s%n", s.dataset, floor, s.rewind / (double) s.points - floor,
                    s.victoria == null ? "" : String.format("; 0.75x VictoriaMetrics is %.3f B/pt", 0.75 * s.victoria[0] / s.points));
        }
        System.out.printf("machine: %d cores, %s %s, Java %s%n", Runtime.getRuntime().availableProcessors(), System.getProperty("os.name"),
                System.getProperty("os.arch"), System.getProperty("java.version"));
    }

    /**
     * The dataset through the tap and the archiver: the segments' bytes, their sidecars', the previous version's bytes and
     * the values' estimated entropy.
     */
    private static Archived rewind(KafkaBroker kafka, PutLineDatasets.Dataset dataset, Path dir) throws Exception {
        String topic = "size-" + dataset.name();
        kafka.createTopic(topic, PARTITIONS, Map.of());
        Map<String, String> tapSettings = TapConfig.localSettings(kafka.bootstrapServers(), topic, dir.resolve("spool"), "");
        try (Tap tap = Tap.start(TapConfig.of(tapSettings))) {
            send(tap.port(), dataset);
            while (tap.metrics().publishedCount() < dataset.points()) {
                Thread.sleep(20);
            }
        }
        Path archive = dir.resolve("archive");
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        ArchiverConfig config = ArchiverConfig.of(Map.of("bootstrap.servers", kafka.bootstrapServers(), "topic", topic,
                "application.id", "size-" + dataset.name(), "storage", archive.toString(), "state.dir", dir.resolve("state").toString(),
                "commit.interval.ms", "2s", "admin.port", "0", "grace.ms", "1m", "compaction.delete.delay.ms", "0",
                "compaction.check.interval.ms", "1s"));
        long deadline = System.nanoTime() + 900_000_000_000L;
        try (LocalStorage storage = new LocalStorage(archive);
                Archiver archiver = Archiver.start(config, storage, registry)) {
            // Done when every point is in a segment and no part is left: every window compacted.
            while (true) {
                long[] counts = segmentsAndParts(storage, topic);
                if (counts[0] == dataset.points() && counts[1] == 0) {
                    break;
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("The archive holds " + counts[0] + " points in segments and " + counts[1]
                            + " parts after 15 minutes");
                }
                Thread.sleep(500);
            }
        }
        long bytes = 0;
        long sidecars = 0;
        long previous = 0;
        DoubleAdder valueBits = new DoubleAdder();
        try (LocalStorage storage = new LocalStorage(archive)) {
            for (String key : segments(storage, topic)) {
                bytes += Files.size(archive.resolve(key));
                sidecars += Files.size(archive.resolve(key + SegmentFiles.SIDECAR_SUFFIX));
                previous += reencoded(storage, key, dir.resolve("previous.avro"), PREVIOUS, points -> valueBits.add(ValueEntropy.bits(points)));
            }
        }
        return new Archived(bytes, sidecars, previous, valueBits.sum());
    }

    /** Points in segment files, and how many part files are left. */
    private static long[] segmentsAndParts(Storage storage, String topic) throws Exception {
        long points = 0;
        long parts = 0;
        try (Stream<Storage.ObjectInfo> objects = storage.list(ArchiveLayout.VERSION + "/" + topic + "/")) {
            for (Storage.ObjectInfo object : objects.toList()) {
                Optional<ArchiveLayout.FileName> name = ArchiveLayout.parse(object.key());
                if (name.isEmpty()) {
                    continue;
                }
                if (name.get().segment()) {
                    if (SegmentFiles.sidecarSha256(storage, object.key()).isPresent()) {
                        points += SegmentFiles.readHeader(storage, object.key()).pointCount();
                    }
                } else {
                    parts++;
                }
            }
        }
        return new long[] {points, parts};
    }

    private static List<String> segments(Storage storage, String topic) throws Exception {
        try (Stream<Storage.ObjectInfo> objects = storage.list(ArchiveLayout.VERSION + "/" + topic + "/")) {
            return objects.map(Storage.ObjectInfo::key).filter(k -> ArchiveLayout.parse(k).filter(ArchiveLayout.FileName::segment).isPresent())
                    .toList();
        }
    }

    /** The bytes of the same segment written in another format version; {@code each} sees every series as it is read. */
    private static long reencoded(Storage storage, String key, Path file, int version,
            Consumer<SeriesPoints> each) throws Exception {
        Files.deleteIfExists(file);
        try (SegmentReader reader = SegmentFiles.open(storage, key, id -> true);
                SegmentWriter writer = new SegmentWriter(file, SegmentMetadata.of(reader.metadata().kind(), reader.metadata().topic(),
                        reader.metadata().partition(), reader.metadata().windowStartMs(), reader.metadata().windowEndMs(),
                        reader.metadata().firstOffset(), reader.metadata().lastOffset(), reader.metadata().generation(),
                        reader.metadata().supersedes()).withFormatVersion(version))) {
            while (reader.hasNext()) {
                SeriesPoints points = reader.next();
                each.accept(points);
                writer.write(points);
            }
            return writer.finish().byteSize();
        }
    }

    /** Sends the dataset's lines, one connection each, and waits for each connection's answer to {@code version}. */
    private static void send(int port, PutLineDatasets.Dataset dataset) {
        List<CompletableFuture<Void>> all = new ArrayList<>();
        for (StringBuilder lines : dataset.connections()) {
            all.add(CompletableFuture.runAsync(() -> {
                try (Socket socket = new Socket("127.0.0.1", port)) {
                    OutputStream out = socket.getOutputStream();
                    byte[] bytes = lines.toString().getBytes(StandardCharsets.ISO_8859_1);
                    for (int at = 0; at < bytes.length; at += 1 << 16) {
                        out.write(bytes, at, Math.min(1 << 16, bytes.length - at));
                    }
                    out.write("version\n".getBytes(StandardCharsets.ISO_8859_1));
                    out.flush();
                    BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.ISO_8859_1));
                    for (String line = in.readLine(); line != null; line = in.readLine()) {
                        if (line.startsWith("net.opentsdb") || line.contains("version")) {
                            return;
                        }
                        System.out.println("  answered: " + line);
                    }
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }));
        }
        all.forEach(CompletableFuture::join);
    }
}
