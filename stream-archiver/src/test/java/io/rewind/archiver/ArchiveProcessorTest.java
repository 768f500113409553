package io.rewind.archiver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.rewind.archive.segment.SeriesPoints;
import io.rewind.archive.storage.Storage;
import io.rewind.archive.storage.local.LocalStorage;
import io.rewind.archiver.metrics.ArchiverMetrics;
import io.rewind.schema.AvroTrust;
import io.rewind.schema.CatalogAction;
import io.rewind.schema.CatalogRecord;
import io.rewind.schema.FileKind;
import io.rewind.schema.Point;
import io.rewind.schema.SeriesKey;
import io.rewind.schema.TimestampPrecision;
import io.rewind.schema.wire.SingleObjectWireFormat;
import io.rewind.schema.wire.WireFormat;
import io.rewind.schema.wire.WireFormatSerde;
import io.rewind.service.config.ConfigException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

class ArchiveProcessorTest {
    static {
        AvroTrust.trustRewindSchemas();
    }

    static final long HOUR = 3_600_000L;
    static final long W = Instant.parse("2026-11-21T10:00:00Z").toEpochMilli();
    static final WireFormat<Point> POINTS = new SingleObjectWireFormat<>(Point.class);

    @TempDir
    Path dir;
    LocalStorage storage;
    ArchiverMetrics metrics;
    TopologyTestDriver driver;
    ArchiverResources resources;
    TestInputTopic<byte[], byte[]> input;
    TestOutputTopic<String, CatalogRecord> catalog;
    /** Every point sent, as a version line, with how often. */
    final Map<String, Integer> sent = new HashMap<>();

    @BeforeEach
    void start() throws Exception {
        start(Map.of());
    }

    void start(Map<String, String> more) throws Exception {
        start(more, Runnable::run, local -> local);
    }

    /** With the executor that runs storage jobs, and the storage the archiver sees (around the local one the test reads). */
    void start(Map<String, String> more, Executor jobs, UnaryOperator<Storage> seen) throws Exception {
        if (driver != null) {
            stop();
        }
        storage = new LocalStorage(dir.resolve("archive"));
        Map<String, String> settings = new HashMap<>(Map.of("bootstrap.servers", "unused:9092", "storage", storage.uri().toString(),
                "state.dir", dir.resolve("state").toString(), "grace.ms", "10m", "compaction.delete.delay.ms", "10m",
                "compaction.check.interval.ms", "5s", "commit.interval.ms", "30s"));
        settings.putAll(more);
        ArchiverConfig config = ArchiverConfig.of(settings);
        metrics = new ArchiverMetrics(new SimpleMeterRegistry());
        resources = new ArchiverResources(config, seen.apply(storage), metrics, POINTS, jobs);
        var formats = new SingleObjectWireFormat<>(CatalogRecord.class);
        driver = new TopologyTestDriver(ArchiverTopology.build(resources, formats), config.streamsProperties(),
                Instant.ofEpochMilli(W + 2 * HOUR));
        input = driver.createInputTopic(config.topic(), new ByteArraySerializer(), new ByteArraySerializer());
        catalog = driver.createOutputTopic(config.catalogTopic(), new StringDeserializer(), new WireFormatSerde<>(formats).deserializer());
    }

    @AfterEach
    void stop() throws Exception {
        if (driver != null) {
            driver.close();
        }
        storage.close();
    }

    @Test
    void everyCommitWritesItsPointsAsOnePartPerWindowWithItsCatalogRecord() throws Exception {
        send(workload(W, 10, 3), W + 20 * 60_000);
        send(workload(W + HOUR, 4, 3), W + 70 * 60_000);

        List<KeyValue<String, CatalogRecord>> records = catalog.readKeyValuesToList();
        assertThat(records).isNotEmpty().allSatisfy(r -> {
            assertThat(r.value.getKind()).isEqualTo(FileKind.PART);
            assertThat(r.value.getPath()).isEqualTo(r.key);
            assertThat(storage.stat(r.key)).get().extracting(i -> i.size()).isEqualTo(r.value.getByteSize());
        });
        assertThat(records.stream().mapToLong(r -> r.value.getPointCount()).sum()).isEqualTo(sent.values().stream().mapToInt(i -> i).sum());
        assertThat(StoredPoints.versions(storage)).isEqualTo(sent);
        assertThat(metrics.pointsArchived.count()).isEqualTo(84); // 10 min × 3 hosts × 2 metrics, then 4 × 3 × 2
    }

    @Test
    void aGapFromTheGapsTopicIsKeptInTheArchiveOnceHoweverOftenItIsReadAndARecordThatIsNotAGapIsCountedAndSkipped() throws Exception {
        ArchiverConfig config = ArchiverConfig.of(Map.of("bootstrap.servers", "unused:9092", "storage", "unused"));
        TestInputTopic<byte[], byte[]> gaps = driver.createInputTopic(config.gapsTopic(), new ByteArraySerializer(), new ByteArraySerializer());
        io.rewind.schema.Gap gap = new io.rewind.schema.Gap("tap-a", "0123abcd", 7, W, false, List.of("sys.cpu", "sys.mem"), 1234, W + 5,
                W + 9, Map.of("spool-full", 1234L), List.of(io.rewind.schema.PointKind.PUT));
        gaps.pipeInput(gap.id().getBytes(), gap.toJson());
        gaps.pipeInput(gap.id().getBytes(), gap.toJson()); // read again, as after a restart from the last commit
        gaps.pipeInput("garbage".getBytes(), "{not a gap".getBytes());
        // A gap whose spool directory id would name another object: refused, counted, and the points tasks go on.
        gaps.pipeInput("escape".getBytes(), new String(gap.toJson()).replace("0123abcd", "../../x").getBytes());
        io.rewind.archive.gaps.GapLedger ledger = io.rewind.archive.gaps.GapLedger.read(storage, config.topic());
        assertThat(ledger.open()).hasSize(1);
        assertThat(ledger.open().get(0).open()).containsExactly(gap);
        assertThat(ledger.unreadable()).isEmpty();
        assertThat(config.gapsTopic()).isEqualTo("points-gaps");
        assertThat(metrics.gapsKept.count()).isEqualTo(2);
        assertThat(metrics.registry().get("rewind.archiver.errors").tag("kind", "gap").counter().count()).isEqualTo(2);
        // The points come first in the topology: their sub-topology (and so their tasks' ids and state) is the one they had
        // before the gaps topic was read.
        assertThat(ArchiverTopology.build(resources, new SingleObjectWireFormat<>(CatalogRecord.class)).describe().subtopologies())
                .filteredOn(t -> t.id() == 0).singleElement()
                .satisfies(t -> assertThat(t.nodes()).extracting(n -> n.name()).contains(ArchiverTopology.SOURCE));
    }

    @Test
    void theReceiptTimeOfTheNewestPointMadeDurableIsExportedPerPartitionAsTheArchivesRecoveryPoint() throws Exception {
        assertThat(metrics.registry().find("rewind.archiver.last.durable.receipt.timestamp").gauges()).isEmpty();
        send(workload(W, 2, 1), W + 20 * 60_000);
        send(workload(W, 2, 1), W + 21 * 60_000);

        var gauge = metrics.registry().get("rewind.archiver.last.durable.receipt.timestamp").tag("topic", "points").tag("partition", "0").gauge();
        assertThat(gauge.value()).isEqualTo((W + 21 * 60_000) / 1000.0);
        assertThat(gauge.getId().getBaseUnit()).isEqualTo("seconds");
    }

    @Test
    void aClosedWindowIsCompactedIntoOneSortedSegmentAndItsPartsDeletedAfterTheDelay() throws Exception {
        send(workload(W, 30, 4), W + 5 * 60_000);
        send(workload(W + 15 * 60_000, 30, 4), W + 25 * 60_000); // overlaps the first: same series, later versions too
        int parts = catalog.readKeyValuesToList().size(); // one per point here: the test driver commits after each record
        assertThat(parts).isEqualTo(480);

        driver.advanceWallClockTime(Duration.ofSeconds(31)); // the partition is idle: wall clock closes the window; compaction runs
        driver.advanceWallClockTime(Duration.ofSeconds(5)); // its result is applied
        List<KeyValue<String, CatalogRecord>> added = catalog.readKeyValuesToList();
        assertThat(added).hasSize(1);
        CatalogRecord segment = added.get(0).value;
        assertThat(segment.getKind()).isEqualTo(FileKind.SEGMENT);
        assertThat(segment.getPath()).endsWith("/segment-0000000001.avro");
        assertThat(segment.getSupersedes()).hasSize(parts);
        assertThat(StoredPoints.live(storage)).extracting(StoredPoints.File::key).containsExactly(segment.getPath());
        assertThat(StoredPoints.versions(storage)).isEqualTo(sent);
        List<SeriesPoints> series = StoredPoints.read(storage, segment.getPath());
        for (SeriesPoints s : series) {
            assertThat(s.sorted()).isSameAs(s); // already in (timestamp, ingest time) order, no duplicate
        }

        driver.advanceWallClockTime(Duration.ofMinutes(10)); // the delay passes: the parts are deleted
        driver.advanceWallClockTime(Duration.ofSeconds(5));
        List<KeyValue<String, CatalogRecord>> deleted = catalog.readKeyValuesToList();
        assertThat(deleted).hasSize(parts).allSatisfy(r -> assertThat(r.value.getAction()).isEqualTo(CatalogAction.DELETE));
        assertThat(deleted.stream().map(r -> r.key).collect(Collectors.toSet())).isEqualTo(new java.util.HashSet<>(segment.getSupersedes()));
        assertThat(StoredPoints.files(storage)).extracting(StoredPoints.File::key).containsExactly(segment.getPath());
        assertThat(StoredPoints.versions(storage)).isEqualTo(sent);
    }

    @Test
    @Timeout(60)
    void aCompactionRunningWhenItsTaskIsRevokedWritesNothingMore() throws Exception {
        CountDownLatch listing = new CountDownLatch(1);
        CountDownLatch revoked = new CountDownLatch(1);
        ExecutorService jobs = Executors.newSingleThreadExecutor();
        try {
            // The compaction's first step, listing the window, waits until the task has been revoked (the driver closed).
            start(Map.of(), jobs, local -> new ListWaits(local, listing, revoked));
            send(workload(W, 6, 2), W + 5 * 60_000);
            List<String> parts = StoredPoints.files(storage).stream().map(StoredPoints.File::key).toList();
            driver.advanceWallClockTime(Duration.ofSeconds(31)); // the window closes: its compaction starts on the job thread
            assertThat(listing.await(10, TimeUnit.SECONDS)).as("the compaction started").isTrue();
            driver.close();
            driver = null;
            revoked.countDown();
            jobs.shutdown();
            assertThat(jobs.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
            assertThat(StoredPoints.files(storage)).extracting(StoredPoints.File::key).containsExactlyElementsOf(parts);
        } finally {
            jobs.shutdownNow();
        }
    }

    /** Storage whose first listing of a window's directory waits for a signal while it is read. */
    private static final class ListWaits extends io.rewind.archive.storage.ForwardingStorage {
        private final Storage local;
        private final CountDownLatch listing;
        private final CountDownLatch go;

        ListWaits(Storage local, CountDownLatch listing, CountDownLatch go) {
            super(local);
            this.local = local;
            this.listing = listing;
            this.go = go;
        }

        @Override
        public Stream<ObjectInfo> list(String prefix) throws IOException {
            if (!prefix.contains("/p=") || listing.getCount() == 0) {
                return local.list(prefix);
            }
            // The listing waits as it is read, after the call returned: the compaction is between two storage calls.
            return Stream.of(prefix).flatMap(p -> {
                listing.countDown();
                try {
                    go.await();
                    return local.list(p);
                } catch (InterruptedException | IOException e) {
                    throw new IllegalStateException(e);
                }
            });
        }

    }

    @Test
    void aPointForACompactedWindowIsArchivedAndTheWindowCompactedAgain() throws Exception {
        send(workload(W, 6, 2), W + 5 * 60_000);
        driver.advanceWallClockTime(Duration.ofSeconds(31));
        driver.advanceWallClockTime(Duration.ofSeconds(5));
        assertThat(StoredPoints.live(storage)).extracting(f -> f.name().generation()).containsExactly(1);

        send(workload(W + 30 * 60_000, 1, 2), W + 2 * HOUR + 40_000); // hours late, after the compaction
        assertThat(StoredPoints.live(storage)).hasSize(1 + 4); // the segment and the late parts (one per point with the test driver)
        driver.advanceWallClockTime(Duration.ofSeconds(31));
        driver.advanceWallClockTime(Duration.ofSeconds(5));

        List<StoredPoints.File> live = StoredPoints.live(storage);
        assertThat(live).hasSize(1);
        assertThat(live.get(0).name().generation()).isEqualTo(2);
        assertThat(StoredPoints.versions(storage)).isEqualTo(sent);
        assertThat(metrics.latePoints.count()).isEqualTo(4); // 2 hosts × 2 metrics, 90 min before they were received
    }

    @Test
    void ofTwoVersionsReceivedInOneMillisecondTheLaterIsRestoredBeforeAndAfterCompaction() throws Exception {
        Map<String, String> tags = Map.of("host", "web0");
        long ingest = W + 5 * 60_000;
        // A telnet batch corrects a value in the same millisecond: 50, then 7. Each lands in a part of its own here.
        send(List.of(point("sys.cpu.user", W + 60_000, TimestampPrecision.SECONDS, 50L, tags),
                point("sys.cpu.user", W + 60_000, TimestampPrecision.SECONDS, 7L, tags)), ingest);
        assertThat(latestValues(storage)).containsExactly(7L);

        driver.advanceWallClockTime(Duration.ofSeconds(31));
        driver.advanceWallClockTime(Duration.ofSeconds(5));

        assertThat(StoredPoints.live(storage)).extracting(f -> f.name().segment()).containsExactly(true);
        assertThat(latestValues(storage)).containsExactly(7L);
        assertThat(StoredPoints.versions(storage)).isEqualTo(sent);
    }

    @Test
    void anEncryptedArchiveIsCompactedLikeAPlainOne() throws Exception {
        Path keyset = dir.resolve("keyset.json");
        io.rewind.archive.storage.Storage[] encrypted = new io.rewind.archive.storage.Storage[1];
        start(Map.of(), Runnable::run, local -> encrypted[0] = io.rewind.archive.location.Storages.withCipher(local,
                new io.rewind.archive.crypto.ArchiveCipher(createKeyset(keyset))));
        send(workload(W, 10, 2), W + 5 * 60_000);
        assertThat(StoredPoints.live(encrypted[0])).hasSize(40); // a part per point under the test driver

        driver.advanceWallClockTime(Duration.ofSeconds(31));
        driver.advanceWallClockTime(Duration.ofSeconds(5));

        assertThat(StoredPoints.live(encrypted[0])).singleElement().satisfies(f -> assertThat(f.name().segment()).isTrue());
        assertThat(StoredPoints.versions(encrypted[0])).isEqualTo(sent);
        assertThat(metrics.registry().find("rewind.archiver.errors").counters()).allSatisfy(c -> assertThat(c.count()).isZero());
    }

    private static io.rewind.archive.crypto.Keyset createKeyset(Path file) {
        try {
            return io.rewind.archive.crypto.Keyset.createOrRotate(file, false);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void aPartWithoutSidecarIsSupersededUnreadWhenCheckedPartsHoldItsOffsetsAndMergedWhenNot() throws Exception {
        send(workload(W, 4, 1), W + 5 * 60_000); // 8 points: parts of offsets 0 to 7, one each
        String dirKey = io.rewind.archive.ArchiveLayout.directory("points", W, HOUR, 0);
        // A crash's orphan over offsets 2-5, whose sidecar was never written: checked parts hold those offsets. It holds a
        // version nobody sent, so that reading it would show.
        String orphan = io.rewind.archive.ArchiveLayout.part("points", W, HOUR, 0, 2, 5);
        writeUnpublished(orphan, 2, 5, W + 30_000, 999_999);
        // A crash's part past every checked one (offsets 50-60): its point is in no checked file, and is kept.
        String last = io.rewind.archive.ArchiveLayout.part("points", W, HOUR, 0, 50, 60);
        writeUnpublished(last, 50, 60, W + 90_000, 42);

        driver.advanceWallClockTime(Duration.ofSeconds(31));
        driver.advanceWallClockTime(Duration.ofSeconds(5));

        String segment = dirKey + "segment-0000000001.avro";
        List<StoredPoints.File> live = StoredPoints.live(storage);
        assertThat(live).extracting(StoredPoints.File::key).containsExactly(segment);
        assertThat(live.get(0).header().supersedes()).contains(orphan, last);
        List<Long> values = new ArrayList<>();
        StoredPoints.read(storage, segment).forEach(s -> {
            for (int i = 0; i < s.size(); i++) {
                values.add(s.valueBits(i));
            }
        });
        assertThat(values).hasSize(9).contains(42L).doesNotContain(999_999L);
        assertThat(metrics.registry().get("rewind.archiver.errors").tag("kind", "unchecked-file").counter().count()).isEqualTo(1);
    }

    /** A part as a crash leaves it: the data put, its sidecar not. */
    private void writeUnpublished(String key, long first, long last, long timestampMs, long value) throws Exception {
        SeriesPoints garbage = new SeriesPoints(io.rewind.archive.segment.SeriesId.of(SeriesKey.of("sys.cpu.user",
                Map.of("host", "web0", "dc", "lga"))), 1).add(timestampMs, false, false, value, W + 1, null);
        Path file = dir.resolve("unpublished.avro");
        try (io.rewind.archive.segment.SegmentWriter writer = new io.rewind.archive.segment.SegmentWriter(file,
                io.rewind.archive.segment.SegmentMetadata.of(FileKind.PART, "points", 0, W, W + HOUR, first, last, 0, List.of()))) {
            writer.write(garbage);
            storage.put(key, writer.finish().path());
        }
    }

    /** The latest version of every point, as a restore reads the live files: merged in arrival order. */
    private static List<Long> latestValues(Storage storage) throws Exception {
        List<StoredPoints.File> live = new ArrayList<>(StoredPoints.live(storage));
        live.sort(java.util.Comparator.comparing(StoredPoints.File::header, io.rewind.archive.segment.SegmentMetadata.ARRIVAL_ORDER));
        List<io.rewind.archive.segment.SegmentReader> readers = new ArrayList<>();
        for (StoredPoints.File file : live) {
            readers.add(io.rewind.archive.segment.SegmentFiles.open(storage, file.key(), id -> true));
        }
        List<Long> values = new ArrayList<>();
        try {
            io.rewind.archive.segment.SegmentMerger.asOf(readers, Long.MAX_VALUE).forEachRemaining(s -> {
                for (int i = 0; i < s.size(); i++) {
                    values.add(s.valueBits(i));
                }
            });
        } finally {
            for (var reader : readers) {
                reader.close();
            }
        }
        return values;
    }

    @Test
    void retentionDeletesTheWindowsThatEndedBeforeItAndRecordsItInTheCatalog() throws Exception {
        start(Map.of("retention.ms", "90m"));
        send(workload(W, 3, 2), W + 60_000); // its window ended 1 h before the clock (W + 2 h)
        sent.clear(); // the first window's points: deleted by retention
        send(workload(W + HOUR + 40 * 60_000, 3, 2), W + 2 * HOUR); // its window is still open
        List<String> oldFiles = StoredPoints.files(storage).stream().map(StoredPoints.File::key).filter(k -> k.contains("/hour=10/")).toList();
        assertThat(oldFiles).hasSize(12);
        catalog.readKeyValuesToList();

        driver.advanceWallClockTime(Duration.ofMinutes(31)); // W + 2 h 31 min: the cutoff passes the first window's end
        driver.advanceWallClockTime(Duration.ofSeconds(5));

        assertThat(StoredPoints.files(storage)).extracting(StoredPoints.File::key).noneMatch(k -> k.contains("/hour=10/"));
        assertThat(StoredPoints.versions(storage)).isEqualTo(sent);
        assertThat(catalog.readKeyValuesToList()).filteredOn(r -> r.value.getAction() == CatalogAction.DELETE)
                .extracting(r -> r.key).containsAll(oldFiles);
    }

    @Test
    void aRecordThatIsNotAPointIsCountedAndTheOthersAreArchived() throws Exception {
        send(workload(W, 2, 2), W + 60_000);
        input.pipeInput("bad".getBytes(), "not a point".getBytes(), Instant.ofEpochMilli(W + 61_000));
        send(workload(W + 60_000, 2, 2), W + 62_000);

        assertThat(StoredPoints.versions(storage)).isEqualTo(sent);
        assertThat(metrics.registry().get("rewind.archiver.errors").tag("kind", "decode").counter().count()).isEqualTo(1);
    }

    @Test
    void invalidSettingsAreAllReportedAtOnce() {
        assertThatThrownBy(() -> ArchiverConfig.of(Map.of("window.size.ms", "7m", "commit.interval.ms", "soon",
                "kafka.processing.guarantee", "at_least_once")))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems()).containsExactlyInAnyOrder(
                        "The 'window.size.ms' value 420000 is invalid: it must divide a day (e.g. 1m, 5m, 15m, 1h, 6h, 1d)",
                        "The 'commit.interval.ms' value 'soon' (from flag --commit.interval.ms) is invalid: must be a duration: milliseconds, or a number with ms, s, m, h or d",
                        "The 'kafka.processing.guarantee' value 'at_least_once' is invalid: the archiver runs exactly_once_v2 only (guarantee 2: points archived effectively once)",
                        "The 'bootstrap.servers' setting is required: The Kafka cluster the points topic is in, host:port,...",
                        "The 'storage' setting is required: Where the archive is: a directory (/var/lib/rewind, file:///var/lib/rewind) or s3://bucket/prefix?endpoint=...&region=...&path-style=true."));
    }

    private void send(List<Point> points, long ingestMs) {
        for (Point p : points) {
            input.pipeInput(SeriesKey.of(p).toBytes(), POINTS.encode(p), Instant.ofEpochMilli(ingestMs));
            sent.merge(StoredPoints.version(p, ingestMs), 1, Integer::sum);
        }
    }

    /** Per host: an integer counter in seconds and a float gauge in milliseconds, every minute. */
    static List<Point> workload(long startMs, int minutes, int hosts) {
        List<Point> points = new ArrayList<>();
        for (int m = 0; m < minutes; m++) {
            for (int h = 0; h < hosts; h++) {
                Map<String, String> tags = new LinkedHashMap<>(Map.of("host", "web" + h, "dc", h % 2 == 0 ? "lga" : "fra"));
                long t = startMs + m * 60_000L;
                points.add(point("sys.cpu.user", t, TimestampPrecision.SECONDS, (long) (h * 1000 + m), tags));
                points.add(point("sys.load", t + 7, TimestampPrecision.MILLISECONDS, h + m * 0.25, tags));
            }
        }
        return points;
    }

    static Point point(String metric, long t, TimestampPrecision precision, Object value, Map<String, String> tags) {
        return Point.newBuilder().setMetric(metric).setTimestampMs(t).setPrecision(precision).setValue(value).setTags(tags).build();
    }
}
