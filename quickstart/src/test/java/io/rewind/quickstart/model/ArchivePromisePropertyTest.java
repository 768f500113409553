package io.rewind.quickstart.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.rewind.archive.RateLimit;
import io.rewind.archive.copy.ArchiveCopy;
import io.rewind.archive.storage.Storage;
import io.rewind.archive.storage.local.LocalStorage;
import io.rewind.archiver.ArchiverConfig;
import io.rewind.archiver.ArchiverResources;
import io.rewind.archiver.ArchiverTopology;
import io.rewind.archiver.metrics.ArchiverMetrics;
import io.rewind.restore.Restore;
import io.rewind.restore.RestorePlan;
import io.rewind.restore.TestArchive;
import io.rewind.restore.plan.Checkpoint;
import io.rewind.restore.plan.Selection;
import io.rewind.restore.plan.Transforms;
import io.rewind.restore.source.SelectionReader;
import io.rewind.restore.targets.Batch;
import io.rewind.restore.targets.Target;
import io.rewind.schema.AvroTrust;
import io.rewind.schema.CatalogRecord;
import io.rewind.schema.Point;
import io.rewind.schema.SeriesKey;
import io.rewind.schema.TimestampPrecision;
import io.rewind.schema.wire.SingleObjectWireFormat;
import io.rewind.schema.wire.WireFormat;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AddLifecycleHook;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TopologyTestDriver;

/**
 * The archive's promise stated as a model and searched for a counterexample: for every series and timestamp in the range, a
 * restore as of T gives the version received last at or before T (guarantees 3, 4 and 11), whatever happened in between.
 *
 * <p>Random sequences of operations run against the real archiver (its Kafka Streams topology under the test driver, writing
 * parts, compacting closed windows, taking late points into compacted windows), copies of its archive ({@code copy --delete})
 * and the real restore path (plan and selection reader), and against the model: a list of every put in arrival order. Puts
 * rewrite points, correct them within one millisecond, arrive hours late, in seconds and milliseconds, as integers and
 * floats. Each restore, from the archive and from its copy, must equal the model's answer.
 *
 * <p>The test command runs a fixed seed (the same cases every build); {@code -Drewind.properties=long} runs many more with a
 * random seed. A failure shrinks to a short sequence: keep it in {@link ArchivePromiseRegressionTest}.
 */
class ArchivePromisePropertyTest {
    static {
        AvroTrust.trustRewindSchemas();
    }

    static final long HOUR = 3_600_000L;
    static final long W = Instant.parse("2026-11-21T10:00:00Z").toEpochMilli();
    static final WireFormat<Point> POINTS = new SingleObjectWireFormat<>(Point.class);
    static final List<String> SERIES = List.of("a", "b", "c");
    static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

    /** What can happen to the pipeline. */
    sealed interface Step permits Put, Correct, Compact, Copy, Restart, Zombie, Baseline, Check {
    }

    /**
     * A fenced instance (or a crash before the commit) wrote, late, the parts of records it had read: offsets
     * {@code [end - back, end - back + length)} of what was sent so far, a part per window, each holding every point of its
     * window in that range, published. They overlap the archiver's own parts and segments, or lie inside them.
     */
    record Zombie(int back, int length) implements Step {
    }

    /** The previous put's point again, in the same millisecond, with this value: a client correcting itself within a batch. */
    record Correct(boolean floating, int value) implements Step {
        Put of(Put previous) {
            return new Put(previous.series(), previous.slot(), previous.millis(), floating, value, 0);
        }
    }

    /**
     * A point received {@code afterMs} after the previous one (0: in the same millisecond), at timestamp slot {@code slot}
     * (four per window over two windows), its value small so that rewrites repeat values too.
     */
    record Put(int series, int slot, boolean millis, boolean floating, int value, long afterMs) implements Step {
        long timestampMs() {
            return W + (slot / 4) * HOUR + (slot % 4) * 15 * 60_000L + (millis ? 123 : 0);
        }
    }

    /** The partitions go idle: the wall clock closes what it can and compaction runs. */
    record Compact() implements Step {
    }

    /** The archiver stops and starts again, from the input offsets it committed (after every record, under the driver). */
    record Restart() implements Step {
    }

    /**
     * A baseline: points read from the cluster's tables with their cells' timestamps as ingest times, before the tap's first
     * put. Two baselines may hold the same cell (overlapping ranges); a cell's time follows from its value, as one cell
     * holds one value.
     */
    record Baseline(List<Put> cells) implements Step {
        static long ingestMs(Put cell) {
            return W - HOUR + cell.value() * 1_000L + (cell.floating() ? 500 : 0);
        }
    }

    /** {@code copy --delete} of the archive into a second storage. */
    record Copy() implements Step {
    }

    /**
     * A restore of {@code [from, to)} (half-hours from W) as of the ingest time of put {@code asOf} (its index, back), less
     * {@code before} ms, of every series or of series {@code only}; {@code replay}: through the restore's senders into a
     * target that records what it is sent, renamed, retagged and shifted as staging restores are.
     */
    record Check(int from, int to, int asOf, int before, boolean latest, int only, boolean replay) implements Step {
        Check(int from, int to, int asOf, int before, boolean latest) {
            this(from, to, asOf, before, latest, -1, false);
        }
    }

    /** The staging transforms a replayed check applies, and what they make of a series name and a timestamp. */
    static final Transforms STAGING = new Transforms(List.of("model\\.(.*)=staging.$1"), Map.of("env", "staging"), Set.of(),
            7 * 24 * HOUR);

    @Property(tries = 120, seed = "20261204", afterFailure = net.jqwik.api.AfterFailureMode.RANDOM_SEED)
    void aRestoreEqualsTheLastVersionReceivedAtOrBeforeItsTime(@ForAll("scenarios") List<Step> steps) throws Exception {
        for (Class<?> kind : List.of(Compact.class, Copy.class, Restart.class, Zombie.class, Baseline.class, Check.class)) {
            net.jqwik.api.statistics.Statistics.label(kind.getSimpleName()).collect(steps.stream().anyMatch(kind::isInstance));
        }
        net.jqwik.api.statistics.Statistics.label("same-millisecond rewrite").collect(steps.stream().anyMatch(Correct.class::isInstance));
        net.jqwik.api.statistics.Statistics.label("late point").collect(steps.stream()
                .anyMatch(s -> s instanceof Put p && p.afterMs() >= 70 * 60_000L));
        run(steps);
        net.jqwik.api.statistics.Statistics.label("compacted before the end").collect(compacted);
    }

    @Property(tries = 2_000)
    @AddLifecycleHook(LongRunsOnly.class)
    void longRunWithRandomSeeds(@ForAll("scenarios") List<Step> steps) throws Exception {
        run(steps);
    }

    @Provide
    Arbitrary<List<Step>> scenarios() {
        Arbitrary<Step> put = Combinators.combine(Arbitraries.integers().between(0, SERIES.size() - 1), Arbitraries.integers().between(0, 7),
                Arbitraries.of(false, true), Arbitraries.of(false, true), Arbitraries.integers().between(0, 3),
                Arbitraries.of(0L, 0L, 1L, 999L, 20 * 60_000L, 70 * 60_000L)).as(Put::new);
        Arbitrary<Step> check = Combinators.combine(Arbitraries.integers().between(0, 3), Arbitraries.integers().between(1, 4),
                Arbitraries.integers().between(0, 40), Arbitraries.of(0, 1), Arbitraries.of(false, true),
                Arbitraries.integers().between(-1, SERIES.size() - 1), Arbitraries.of(false, true)).as(Check::new);
        Arbitrary<Step> zombie = Combinators.combine(Arbitraries.integers().between(1, 12), Arbitraries.integers().between(1, 8))
                .as(Zombie::new);
        Arbitrary<Step> correct = Combinators.combine(Arbitraries.of(false, true), Arbitraries.integers().between(0, 3)).as(Correct::new);
        Arbitrary<Step> baseline = put.map(p -> (Put) p).list().ofMinSize(1).ofMaxSize(3).map(Baseline::new);
        Arbitrary<Step> step = Arbitraries.frequencyOf(net.jqwik.api.Tuple.of(10, put), net.jqwik.api.Tuple.of(2, Arbitraries.just(new Compact())),
                net.jqwik.api.Tuple.of(1, Arbitraries.just(new Copy())), net.jqwik.api.Tuple.of(1, Arbitraries.just(new Restart())),
                net.jqwik.api.Tuple.of(1, baseline), net.jqwik.api.Tuple.of(3, check), net.jqwik.api.Tuple.of(2, correct),
                net.jqwik.api.Tuple.of(1, zombie));
        return step.list().ofMinSize(2).ofMaxSize(40);
    }

    /** Whether the last run's archiver wrote a segment before its final compaction. */
    static boolean compacted;

    /** Runs the steps against a fresh archiver and the model, and a final restore of everything at the end. */
    static void run(List<Step> steps) throws Exception {
        Path dir = Files.createTempDirectory("rewind-model-");
        try (Pipeline pipeline = new Pipeline(dir)) {
            Model model = new Model();
            Put previous = null;
            for (Step step : steps) {
                if (step instanceof Correct correct && previous != null) {
                    step = correct.of(previous);
                }
                if (step instanceof Put put) {
                    model.received(put, pipeline.send(put));
                    previous = put;
                } else if (step instanceof Compact) {
                    pipeline.compact();
                } else if (step instanceof Copy) {
                    pipeline.copy();
                } else if (step instanceof Restart) {
                    pipeline.restart();
                } else if (step instanceof Zombie zombie) {
                    pipeline.zombie(zombie);
                } else if (step instanceof Baseline baseline) {
                    pipeline.baseline(baseline);
                    baseline.cells().forEach(cell -> model.received(cell, Baseline.ingestMs(cell)));
                } else if (step instanceof Check check) {
                    pipeline.check(model, check);
                }
            }
            compacted = pipeline.segments() > 0;
            pipeline.compact();
            pipeline.copy();
            pipeline.check(model, new Check(0, 4, 0, 0, true, -1, true));
        } finally {
            delete(dir);
        }
    }

    /** Every put in arrival order, with its ingest time: what the archive promises to give back. */
    static final class Model {
        final List<Put> puts = new ArrayList<>();
        final List<Long> ingested = new ArrayList<>();

        void received(Put put, long ingestMs) {
            puts.add(put);
            ingested.add(ingestMs);
        }

        /** For each (series, timestamp) in the range, the version received last at or before {@code asOfMs}. */
        Map<String, String> restore(long fromMs, long toMs, long asOfMs) {
            return restore(fromMs, toMs, asOfMs, puts.size());
        }

        /** Of series {@code only} (all when -1). */
        Map<String, String> restore(long fromMs, long toMs, long asOfMs, int received, int only) {
            Map<String, String> all = restore(fromMs, toMs, asOfMs, received);
            all.keySet().removeIf(key -> only >= 0 && !key.startsWith(SERIES.get(only) + "@"));
            return all;
        }

        /** The same, of the first {@code received} puts only. */
        Map<String, String> restore(long fromMs, long toMs, long asOfMs, int received) {
            Map<String, String> out = new TreeMap<>();
            Map<String, Long> when = new HashMap<>();
            for (int i = 0; i < received; i++) {
                Put p = puts.get(i);
                String key = SERIES.get(p.series()) + "@" + p.timestampMs();
                // The latest ingested; of one ingest time, the one received last (a baseline's cells are all older).
                if (ingested.get(i) <= asOfMs && p.timestampMs() >= fromMs && p.timestampMs() < toMs
                        && ingested.get(i) >= when.getOrDefault(key, Long.MIN_VALUE)) {
                    out.put(key, version(p.floating(), p.value(), p.millis()));
                    when.put(key, ingested.get(i));
                }
            }
            return out;
        }
    }

    static String version(boolean floating, Object value, boolean millis) {
        return (floating ? "f" : "i") + value + (millis ? " ms" : " s");
    }

    /** The real archiver under Kafka Streams' test driver, its local archive, and a copy of it. */
    static final class Pipeline implements AutoCloseable {
        final Path dir;
        final LocalStorage storage;
        final LocalStorage copy;
        final ArchiverConfig config;
        ArchiverResources resources;
        TopologyTestDriver driver;
        TestInputTopic<byte[], byte[]> input;
        int starts;
        int baselines;
        int replays;
        long clock = W + 30 * 60_000L;
        /** The driver's wall clock. */
        long wall;
        /** How many puts the archive held when it was last copied; -1 before the first copy. */
        int copiedPuts = -1;
        /** Puts received, baselines' cells included: what the model holds. */
        int sent;
        /** Every put sent to the topic, by offset, with its ingest time: a restarted archiver resumes after the last. */
        final List<Put> records = new ArrayList<>();
        final List<Long> recordTimes = new ArrayList<>();

        Pipeline(Path dir) throws Exception {
            this.dir = dir;
            storage = new LocalStorage(dir.resolve("archive"));
            copy = new LocalStorage(dir.resolve("copy"));
            config = ArchiverConfig.of(Map.of("bootstrap.servers", "unused:9092", "storage", storage.uri().toString(),
                    "state.dir", dir.resolve("state").toString(), "grace.ms", "10m", "compaction.delete.delay.ms", "10m",
                    "compaction.check.interval.ms", "5s", "commit.interval.ms", "30s"));
            start();
        }

        private void start() throws IOException {
            resources = new ArchiverResources(config, storage, new ArchiverMetrics(new SimpleMeterRegistry()), POINTS, Runnable::run);
            driver = new TopologyTestDriver(ArchiverTopology.build(resources, new SingleObjectWireFormat<>(CatalogRecord.class)),
                    config.streamsProperties(), Instant.ofEpochMilli(clock));
            wall = clock;
            input = driver.createInputTopic(config.topic(), new ByteArraySerializer(), new ByteArraySerializer());
            // A new driver's topic starts at offset 0: records that are not points carry it to where the last run stopped,
            // as a restarted archiver resumes from its committed offsets.
            for (int i = 0; i < records.size(); i++) {
                input.pipeInput("skip".getBytes(), "not a point".getBytes(), Instant.ofEpochMilli(clock));
            }
            starts++;
        }

        void restart() throws Exception {
            driver.close();
            resources.close();
            start();
        }

        void zombie(Zombie zombie) throws IOException {
            int first = Math.max(0, records.size() - zombie.back());
            int last = Math.min(records.size() - 1, first + zombie.length() - 1);
            if (last < first) {
                return;
            }
            Map<Long, Map<io.rewind.archive.segment.SeriesId, io.rewind.archive.segment.SeriesPoints>> windows = new TreeMap<>();
            for (int o = first; o <= last; o++) {
                Point point = point(records.get(o));
                windows.computeIfAbsent(Math.floorDiv(point.getTimestampMs(), HOUR) * HOUR, w -> new TreeMap<>())
                        .computeIfAbsent(io.rewind.archive.segment.SeriesId.of(SeriesKey.of(point)),
                                id -> new io.rewind.archive.segment.SeriesPoints(id, 4))
                        .add(point, recordTimes.get(o));
            }
            for (var window : windows.entrySet()) {
                String key = io.rewind.archive.ArchiveLayout.part("points", window.getKey(), HOUR, 0, first, last);
                Path file = dir.resolve("zombie.avro");
                try (io.rewind.archive.segment.SegmentWriter writer = new io.rewind.archive.segment.SegmentWriter(file,
                        io.rewind.archive.segment.SegmentMetadata.of(io.rewind.schema.FileKind.PART, "points", 0, window.getKey(),
                                window.getKey() + HOUR, first, last, 0, List.of()))) {
                    for (var series : window.getValue().values()) {
                        writer.write(series.sorted());
                    }
                    io.rewind.archive.segment.SegmentFiles.publish(storage, key, writer.finish());
                }
            }
        }

        void baseline(Baseline baseline) throws IOException {
            sent += baseline.cells().size();
            List<TestArchive.Ingested> cells = baseline.cells().stream()
                    .map(cell -> new TestArchive.Ingested(point(cell), Baseline.ingestMs(cell))).toList();
            new TestArchive(storage, 1).baseline("b" + baselines++, cells);
        }

        /** Sends the put as the tap does, and returns its ingest time. */
        long send(Put put) {
            clock += put.afterMs();
            sent++;
            records.add(put);
            recordTimes.add(clock);
            Point point = point(put);
            input.pipeInput(SeriesKey.of(point).toBytes(), POINTS.encode(point), Instant.ofEpochMilli(clock));
            return clock;
        }

        static Point point(Put put) {
            return Point.newBuilder().setMetric("model." + SERIES.get(put.series())).setTags(Map.of("host", "h"))
                    .setTimestampMs(put.timestampMs())
                    .setPrecision(put.millis() ? TimestampPrecision.MILLISECONDS : TimestampPrecision.SECONDS)
                    .setValue(put.floating() ? (Object) (put.value() + 0.5) : (Object) (long) put.value()).build();
        }

        /**
         * The partition goes idle for 31 s after the last put (the commit interval is 30 s): the archiver then closes windows by
         * the wall clock, which follows the tap's clock here, and compacts each closed one.
         */
        void compact() {
            long idle = Math.max(0, clock - wall) + 31_000;
            driver.advanceWallClockTime(Duration.ofMillis(idle));
            driver.advanceWallClockTime(Duration.ofSeconds(5));
            wall += idle + 5_000;
        }

        /** How many segments compaction wrote, superseded ones included. */
        long segments() throws IOException {
            try (Stream<io.rewind.archive.storage.Storage.ObjectInfo> all = storage.list("v1/")) {
                return all.filter(o -> io.rewind.archive.ArchiveLayout.parse(o.key()).map(n -> n.segment()).orElse(false)).count();
            }
        }

        void copy() throws Exception {
            ArchiveCopy.Result result = ArchiveCopy.run(storage, copy, new ArchiveCopy.Options(true, false, 2, RateLimit.of(0),
                    dir.resolve("scratch")), new ArchiveCopy.Counts());
            assertThat(result.problems()).isEmpty();
            assertThat(result.complete()).isTrue();
            copiedPuts = sent;
        }

        void check(Model model, Check check) throws Exception {
            if (model.puts.isEmpty()) {
                return;
            }
            int from = Math.min(check.from(), check.to() - 1);
            long fromMs = W + from * HOUR / 2;
            long toMs = W + Math.max(check.to(), from + 1) * HOUR / 2;
            long asOfMs = check.latest() ? Long.MAX_VALUE
                    : model.ingested.get(Math.max(0, model.ingested.size() - 1 - check.asOf() % model.ingested.size())) - check.before();
            Map<String, String> expected = model.restore(fromMs, toMs, asOfMs, model.puts.size(), check.only());
            String what = String.format("[%s, %s) as of %s, series %s", Instant.ofEpochMilli(fromMs), Instant.ofEpochMilli(toMs),
                    asOfMs == Long.MAX_VALUE ? "now" : Instant.ofEpochMilli(asOfMs), check.only() < 0 ? "all" : SERIES.get(check.only()));
            assertThat(restore(storage, fromMs, toMs, asOfMs, check.only())).as("the archive, %s", what).isEqualTo(expected);
            if (check.replay()) {
                assertThat(replay(storage, fromMs, toMs, asOfMs, check.only())).as("replayed into staging, %s", what)
                        .isEqualTo(staged(expected));
            }
            if (copiedPuts >= 0) {
                assertThat(restore(copy, fromMs, toMs, asOfMs, check.only())).as("its copy, taken after %d puts, %s", copiedPuts, what)
                        .isEqualTo(model.restore(fromMs, toMs, asOfMs, copiedPuts, check.only()));
            }
        }

        /** The model's answer as the staging transforms make it. */
        static Map<String, String> staged(Map<String, String> expected) {
            Map<String, String> out = new TreeMap<>();
            expected.forEach((key, version) -> {
                int at = key.indexOf('@');
                out.put("staging." + key.substring(0, at) + "@" + (Long.parseLong(key.substring(at + 1)) + 7 * 24 * HOUR), version);
            });
            return out;
        }

        /** A restore through the senders, in small batches on two of them, into a target that records the JSON it is sent. */
        Map<String, String> replay(Storage storage, long fromMs, long toMs, long asOfMs, int only) throws Exception {
            RestorePlan plan = RestorePlan.of(storage, "points", selection(fromMs, toMs, asOfMs, only));
            List<String[]> sent = java.util.Collections.synchronizedList(new ArrayList<>());
            Target target = new Target() {
                @Override
                public int write(Batch batch) throws IOException {
                    for (com.fasterxml.jackson.databind.JsonNode p : JSON.readTree(batch.json())) {
                        long t = p.get("timestamp").asLong();
                        boolean millis = t > 9_999_999_999L;
                        com.fasterxml.jackson.databind.JsonNode value = p.get("value");
                        String version = version(value.isFloatingPointNumber(),
                                value.isFloatingPointNumber() ? (Object) Math.round(value.asDouble() - 0.5) : (Object) value.asLong(), millis);
                        // Checked once the run is over: an assertion failing on a sender's thread would stop that sender only.
                        sent.add(new String[] {p.get("metric").asText() + "@" + (millis ? t : t * 1000), version,
                                p.get("tags").toString()});
                    }
                    return 0;
                }

                @Override
                public long retries() {
                    return 0;
                }
            };
            try (Checkpoint checkpoint = Checkpoint.open(dir.resolve("checkpoint-" + replays++), "model", true)) {
                Restore.run(storage, plan, STAGING, 7, 2, target, checkpoint, new Restore.Counts());
            }
            Map<String, String> out = new TreeMap<>();
            for (String[] point : sent) {
                assertThat(JSON.readTree(point[2])).isEqualTo(JSON.readTree("{\"host\":\"h\",\"env\":\"staging\"}"));
                assertThat(out.put(point[0], point[1])).as("%s sent once", point[0]).isNull();
            }
            return out;
        }

        static Selection selection(long fromMs, long toMs, long asOfMs, int only) {
            return new Selection(fromMs, toMs, asOfMs, List.of(only < 0 ? "model.*" : "model." + SERIES.get(only)), Map.of());
        }

        /** What the real restore path reads: the plan, then each unit through the selection reader. */
        static Map<String, String> restore(Storage storage, long fromMs, long toMs, long asOfMs, int only) throws Exception {
            Selection selection = selection(fromMs, toMs, asOfMs, only);
            RestorePlan plan = RestorePlan.of(storage, "points", selection);
            assertThat(plan.unreadable()).isEmpty();
            SelectionReader reader = new SelectionReader(storage, plan.selection());
            Map<String, String> out = new TreeMap<>();
            for (var unit : plan.units()) {
                reader.read(unit, series -> {
                    for (int i = 0; i < series.size(); i++) {
                        String key = series.id().key().metric().substring("model.".length()) + "@" + series.timestampMs(i);
                        Object value = series.value(i);
                        boolean floating = series.isFloatingPoint(i);
                        String v = version(floating, floating ? (Object) Math.round((Double) value - 0.5) : value, series.isMilliseconds(i));
                        assertThat(out.put(key, v)).as("%s restored once", key).isNull();
                    }
                });
            }
            return out;
        }

        @Override
        public void close() throws Exception {
            driver.close();
            resources.close();
            storage.close();
            copy.close();
        }
    }

    static void delete(Path dir) throws IOException {
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
