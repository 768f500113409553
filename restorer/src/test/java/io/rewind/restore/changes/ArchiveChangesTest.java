package io.rewind.restore.changes;

import static io.rewind.restore.TestArchive.point;
import static org.assertj.core.api.Assertions.assertThat;

import io.rewind.archive.storage.Storage;
import io.rewind.archive.storage.local.LocalStorage;
import io.rewind.restore.RestorePlan;
import io.rewind.restore.TestArchive;
import io.rewind.restore.TestArchive.Ingested;
import io.rewind.restore.source.SelectionReader;
import io.rewind.schema.TimestampPrecision;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ArchiveChangesTest {
    private static final long T0 = 1_764_000_000_000L / TestArchive.HOUR * TestArchive.HOUR;
    private static final long MIN = 60_000;

    @TempDir
    Path dir;

    @Test
    void anIncidentIsFoundAndItsSuggestedRestoreGivesWhatTheArchiveHeldJustBeforeIt() throws Exception {
        try (Storage storage = new LocalStorage(dir)) {
            TestArchive archive = new TestArchive(storage, 2);
            List<Ingested> collectors = new ArrayList<>();
            for (int k = 0; k < 90; k++) { // 15 minutes, every 10 s, two hosts: 12 points a minute
                long ts = T0 + k * 10_000L;
                collectors.add(new Ingested(point("m.load", ts, TimestampPrecision.SECONDS, good(k), Map.of("host", "a")), ts + 500));
                collectors.add(new Ingested(point("m.load", ts, TimestampPrecision.SECONDS, good(k) * 2, Map.of("host", "b")), ts + 500));
            }
            archive.commit(collectors);
            long incident = T0 + 12 * MIN + 345;
            List<Ingested> garbage = new ArrayList<>();
            for (int k = 0; k < 30; k++) { // host a's first 5 minutes overwritten
                garbage.add(new Ingested(point("m.load", T0 + k * 10_000L, TimestampPrecision.SECONDS, 9000.0 + k, Map.of("host", "a")), incident + k));
            }
            archive.commit(garbage);
            archive.commit(List.of(
                    new Ingested(point("m.load", T0, TimestampPrecision.SECONDS, good(0) * 2, Map.of("host", "b")), T0 + 13 * MIN),
                    new Ingested(point("m.disk", T0 - 2 * TestArchive.HOUR, TimestampPrecision.SECONDS, 7L, Map.of("host", "a")), T0 + 14 * MIN),
                    new Ingested(point("m.disk", T0 - 2 * TestArchive.HOUR + 10_000, TimestampPrecision.SECONDS, 8L, Map.of("host", "a")), T0 + 14 * MIN),
                    new Ingested(point("m.new", T0 + 16 * MIN, TimestampPrecision.SECONDS, 1L, Map.of("host", "c")), T0 + 16 * MIN + 500)));

            ArchiveChanges.Result result = ArchiveChanges.analyze(storage, settings(T0 + 10 * MIN, T0 + 20 * MIN, 10 * MIN, 60 * MIN, 10));

            Map<String, ArchiveChanges.MetricChanges> byMetric = result.metrics().stream()
                    .collect(Collectors.toMap(ArchiveChanges.MetricChanges::metric, m -> m));
            assertThat(byMetric).containsOnlyKeys("m.load", "m.disk", "m.new");
            ArchiveChanges.MetricChanges load = byMetric.get("m.load");
            assertThat(load.rewritten()).isEqualTo(30);
            assertThat(load.resent()).isEqualTo(1);
            assertThat(load.backfilled()).isZero();
            assertThat(load.newSeries()).isZero();
            assertThat(load.usualPerMinute()).isEqualTo(12);
            assertThat(load.spikes()).containsExactly(T0 + 12 * MIN);
            assertThat(load.drops()).as("the minute the collectors stopped: the archive holds later arrivals").containsExactly(T0 + 15 * MIN);
            assertThat(load.firstRewrite()).isEqualTo(new ArchiveChanges.Example("m.load{host=a}", T0, good(0), 9000.0, incident));
            assertThat(byMetric.get("m.disk").backfilled()).isEqualTo(2);
            assertThat(byMetric.get("m.disk").newSeries()).isEqualTo(1);
            assertThat(byMetric.get("m.new").newSeries()).isEqualTo(1);
            assertThat(byMetric.get("m.new").backfilled()).isZero();
            assertThat(result.archivedUntilMs()).isEqualTo(T0 + 16 * MIN + 500);

            assertThat(result.bursts()).hasSize(1);
            ArchiveChanges.Suggestion suggestion = result.suggestion().orElseThrow();
            assertThat(suggestion.asOfMs()).isEqualTo(incident - 1);
            assertThat(suggestion.metrics()).containsExactly("m.load");
            assertThat(suggestion.fromMs()).isEqualTo(T0);
            assertThat(suggestion.toMs()).isEqualTo(T0 + 29 * 10_000L + 1);

            Map<String, Map<Long, Object>> restored = restore(storage, suggestion);
            assertThat(restored).containsOnlyKeys("m.load{host=a}", "m.load{host=b}");
            for (int k = 0; k < 30; k++) {
                assertThat(restored.get("m.load{host=a}")).containsEntry(T0 + k * 10_000L, good(k));
                assertThat(restored.get("m.load{host=b}")).containsEntry(T0 + k * 10_000L, good(k) * 2);
            }
            assertThat(restored.get("m.load{host=a}")).hasSize(30);
        }
    }

    /** A later, unrelated rewrite (a job correcting another metric's data) is a burst of its own, not part of the suggestion. */
    @Test
    void theSuggestionUndoesTheFirstBurstsMetricsOnly() throws Exception {
        try (Storage storage = new LocalStorage(dir)) {
            TestArchive archive = new TestArchive(storage, 1);
            List<Ingested> original = new ArrayList<>();
            List<Ingested> garbage = new ArrayList<>();
            List<Ingested> correction = new ArrayList<>();
            for (int k = 0; k < 20; k++) {
                long ts = T0 + k * 10_000L;
                original.add(new Ingested(point("m.load", ts, TimestampPrecision.SECONDS, 1L, Map.of("h", "a")), T0 + MIN + k));
                original.add(new Ingested(point("m.billing", ts - 2 * TestArchive.HOUR, TimestampPrecision.SECONDS, 5L, Map.of("h", "a")),
                        T0 + MIN + k));
                garbage.add(new Ingested(point("m.load", ts, TimestampPrecision.SECONDS, 999L, Map.of("h", "a")), T0 + 12 * MIN + k));
                correction.add(new Ingested(point("m.billing", ts - 2 * TestArchive.HOUR, TimestampPrecision.SECONDS, 6L, Map.of("h", "a")),
                        T0 + 30 * MIN + k));
            }
            archive.commit(original);
            archive.commit(garbage);
            archive.commit(correction);
            ArchiveChanges.Result result = ArchiveChanges.analyze(storage, settings(T0 + 10 * MIN, T0 + 40 * MIN, 10 * MIN, 60 * MIN, 10));
            assertThat(result.bursts()).hasSize(2);
            ArchiveChanges.Suggestion suggestion = result.suggestion().orElseThrow();
            assertThat(suggestion.metrics()).containsExactly("m.load");
            assertThat(suggestion.fromMs()).isEqualTo(T0);
            assertThat(suggestion.rewrittenBefore()).isZero();
        }
    }

    /** A later correction of the burst's own metric, hours after, is another burst: its event times stay out of the range. */
    @Test
    void aLaterCorrectionOfTheSameMetricIsNotUndone() throws Exception {
        try (Storage storage = new LocalStorage(dir)) {
            TestArchive archive = new TestArchive(storage, 1);
            List<Ingested> points = new ArrayList<>();
            for (int k = 0; k < 20; k++) {
                long ts = T0 + k * 10_000L;
                long yesterday = ts - 24 * TestArchive.HOUR;
                points.add(new Ingested(point("m.cpu", ts, TimestampPrecision.SECONDS, 1L, Map.of("h", "a")), T0 + MIN + k));
                points.add(new Ingested(point("m.cpu", yesterday, TimestampPrecision.SECONDS, 1L, Map.of("h", "a")), T0 + MIN + k));
                points.add(new Ingested(point("m.cpu", ts, TimestampPrecision.SECONDS, 999L, Map.of("h", "a")), T0 + 12 * MIN + k));
                points.add(new Ingested(point("m.cpu", yesterday, TimestampPrecision.SECONDS, 2L, Map.of("h", "a")), T0 + 50 * MIN + k));
            }
            archive.commit(points);
            ArchiveChanges.Result result = ArchiveChanges.analyze(storage, settings(T0 + 10 * MIN, T0 + 60 * MIN, 10 * MIN, 48 * TestArchive.HOUR, 10));
            assertThat(result.bursts()).hasSize(2);
            ArchiveChanges.Suggestion suggestion = result.suggestion().orElseThrow();
            assertThat(suggestion.fromMs()).isEqualTo(T0);
            assertThat(suggestion.toMs()).isEqualTo(T0 + 19 * 10_000L + 1);
        }
    }

    /** Rewrites already arriving in the look-back: the incident began before --from, and the suggestion says so. */
    @Test
    void rewritesBeforeTheRangeAreCountedForTheSuggestion() throws Exception {
        try (Storage storage = new LocalStorage(dir)) {
            TestArchive archive = new TestArchive(storage, 1);
            archive.commit(List.of(new Ingested(point("m.x", T0, TimestampPrecision.SECONDS, 1L, Map.of("h", "a")), T0 + 1000)));
            for (int k = 0; k < 30; k++) { // the same timestamp rewritten every minute, from before the range to inside it
                archive.commit(List.of(new Ingested(point("m.x", T0, TimestampPrecision.SECONDS, 100L + k, Map.of("h", "a")), T0 + (5 + k) * MIN)));
            }
            ArchiveChanges.Result result = ArchiveChanges.analyze(storage, settings(T0 + 20 * MIN, T0 + 40 * MIN, 20 * MIN, 60 * MIN, 1));
            assertThat(result.suggestion().orElseThrow().rewrittenBefore()).isEqualTo(15);
        }
    }

    @Test
    void aRewriteInTheMillisecondOfTheVersionItReplacesIsCountedAsSuch() throws Exception {
        try (Storage storage = new LocalStorage(dir)) {
            TestArchive archive = new TestArchive(storage, 1);
            long at = T0 + 11 * MIN;
            archive.commit(List.of(new Ingested(point("m.x", T0, TimestampPrecision.SECONDS, 1L, Map.of("h", "a")), at)));
            archive.commit(List.of(new Ingested(point("m.x", T0, TimestampPrecision.SECONDS, 2L, Map.of("h", "a")), at)));
            ArchiveChanges.Result result = ArchiveChanges.analyze(storage, settings(T0 + 10 * MIN, T0 + 20 * MIN, 0, 60 * MIN, 1));
            ArchiveChanges.Minute minute = result.metrics().get(0).minutes().get(T0 + 11 * MIN);
            assertThat(minute.rewritten()).isEqualTo(1);
            assertThat(minute.rewrittenInSameMs()).isEqualTo(1);
            assertThat(result.metrics().get(0).firstRewrite().after()).as("the version received last is the rewrite").isEqualTo(2L);
        }
    }

    @Test
    void withoutABurstLargeEnoughThereIsNoSuggestion() throws Exception {
        try (Storage storage = new LocalStorage(dir)) {
            TestArchive archive = new TestArchive(storage, 1);
            archive.commit(List.of(new Ingested(point("m.x", T0, TimestampPrecision.SECONDS, 1L, Map.of("h", "a")), T0 + 1000)));
            archive.commit(List.of(new Ingested(point("m.x", T0, TimestampPrecision.SECONDS, 2L, Map.of("h", "a")), T0 + 11 * MIN)));
            ArchiveChanges.Result result = ArchiveChanges.analyze(storage, settings(T0 + 10 * MIN, T0 + 20 * MIN, 10 * MIN, 60 * MIN, 2));
            assertThat(result.bursts()).singleElement().extracting(ArchiveChanges.Burst::rewritten).isEqualTo(1L);
            assertThat(result.suggestion()).isEmpty();
        }
    }

    /** One version as a test writes it: series, timestamp (index), value, and when it arrived. */
    record Version(int series, int tsIndex, long value, long ingestOffsetS) {
    }

    /**
     * The counts equal a model's: every version arriving in the range is a rewrite, a resend or a timestamp's first (a backfill
     * when late), by the version received before it; and the suggested restore, with a burst of one, gives each (series,
     * timestamp) of its metrics what the model held the millisecond before the first rewrite, and covers every later rewrite.
     */
    @Property(tries = 60)
    void countsAndTheSuggestionFollowTheModel(@ForAll("versions") @Size(min = 1, max = 40) List<Version> versions) throws Exception {
        Path root = Files.createTempDirectory("rewind-changes-"); // jqwik's tries have no JUnit @TempDir
        long base = T0 + 2 * TestArchive.HOUR;
        long from = base + 10 * MIN;
        long to = base + 30 * MIN;
        long backfillAfter = 2 * TestArchive.HOUR + 5 * MIN;
        List<Ingested> all = new ArrayList<>();
        for (int i = 0; i < versions.size(); i++) {
            Version v = versions.get(i);
            all.add(new Ingested(point("p.m" + v.series() % 2, T0 + v.tsIndex() * 10_000L, TimestampPrecision.SECONDS, v.value(),
                    Map.of("host", "h" + v.series())), base + v.ingestOffsetS() * 1000 + i)); // distinct arrival times
        }
        all.sort(Comparator.comparingLong(Ingested::ingestMs));
        try (Storage storage = new LocalStorage(root)) {
            TestArchive archive = new TestArchive(storage, 2);
            for (int i = 0; i < all.size(); i += 5) {
                archive.commit(all.subList(i, Math.min(all.size(), i + 5)));
            }
            ArchiveChanges.Result result = ArchiveChanges.analyze(storage, settings(from, to, 10 * MIN, backfillAfter, 1));

            long end = Math.min(to, all.get(all.size() - 1).ingestMs() + 1);
            Map<String, long[]> model = new TreeMap<>(); // metric -> rewritten, resent, backfilled, new series
            Map<String, Ingested> latest = new HashMap<>();
            Map<String, Long> firstOfSeries = new HashMap<>();
            long firstRewrite = Long.MAX_VALUE;
            List<Ingested> rewrites = new ArrayList<>();
            for (Ingested v : all) {
                String series = v.point().getMetric() + v.point().getTags();
                String key = series + "@" + v.point().getTimestampMs();
                firstOfSeries.putIfAbsent(series, v.ingestMs());
                Ingested before = latest.put(key, v);
                if (v.ingestMs() < from || v.ingestMs() >= end) {
                    continue;
                }
                long[] counts = model.computeIfAbsent(v.point().getMetric(), m -> new long[4]);
                if (before == null) {
                    counts[2] += v.ingestMs() - v.point().getTimestampMs() > backfillAfter ? 1 : 0;
                } else if (before.point().getValue().equals(v.point().getValue())) {
                    counts[1]++;
                } else {
                    counts[0]++;
                    rewrites.add(v);
                    firstRewrite = Math.min(firstRewrite, v.ingestMs());
                }
            }
            firstOfSeries.forEach((series, first) -> {
                if (first >= from && first < end) {
                    model.computeIfAbsent(series.substring(0, series.indexOf('{')), m -> new long[4])[3]++;
                }
            });
            Map<String, long[]> found = new TreeMap<>();
            result.metrics().forEach(m -> found.put(m.metric(), new long[] {m.rewritten(), m.resent(), m.backfilled(), m.newSeries()}));
            model.values().removeIf(c -> c[0] == 0 && c[2] == 0 && c[3] == 0);
            Map<String, List<Long>> foundLists = new TreeMap<>();
            found.forEach((m, c) -> foundLists.put(m, List.of(c[0], c[1], c[2], c[3])));
            Map<String, List<Long>> modelLists = new TreeMap<>();
            model.forEach((m, c) -> modelLists.put(m, List.of(c[0], c[1], c[2], c[3])));
            // A metric with only resends and no unusual minute is not listed; one listed for its volume alone has zero counts.
            foundLists.values().removeIf(c -> c.get(0) == 0 && c.get(2) == 0 && c.get(3) == 0);
            assertThat(foundLists).isEqualTo(modelLists);

            if (firstRewrite == Long.MAX_VALUE) {
                assertThat(result.suggestion()).isEmpty();
                return;
            }
            ArchiveChanges.Suggestion suggestion = result.suggestion().orElseThrow();
            assertThat(suggestion.asOfMs()).isEqualTo(firstRewrite - 1);
            Ingested first = rewrites.stream().min(Comparator.comparingLong(Ingested::ingestMs)).orElseThrow();
            assertThat(suggestion.metrics()).contains(first.point().getMetric());
            for (Ingested r : rewrites) {
                if (suggestion.metrics().contains(r.point().getMetric()) && r.ingestMs() < suggestion.burst().endMs()) {
                    assertThat(r.point().getTimestampMs()).isBetween(suggestion.fromMs(), suggestion.toMs() - 1);
                }
            }
            // Only the burst's metrics: each was rewritten in the burst's minutes.
            for (String metric : suggestion.metrics()) {
                assertThat(rewrites).anyMatch(r -> r.point().getMetric().equals(metric) && r.ingestMs() < suggestion.burst().endMs());
            }
            Map<String, Map<Long, Object>> expected = new TreeMap<>();
            for (Ingested v : all) {
                long ts = v.point().getTimestampMs();
                if (v.ingestMs() <= suggestion.asOfMs() && suggestion.metrics().contains(v.point().getMetric())
                        && ts >= suggestion.fromMs() && ts < suggestion.toMs()) {
                    expected.computeIfAbsent(v.point().getMetric() + v.point().getTags(), s -> new TreeMap<>()).put(ts, v.point().getValue());
                }
            }
            assertThat(restore(storage, suggestion)).isEqualTo(expected);
        } finally {
            try (var files = Files.walk(root)) {
                for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
    }

    @Provide
    Arbitrary<List<Version>> versions() {
        return Combinators.combine(Arbitraries.integers().between(0, 2), Arbitraries.integers().between(0, 3), Arbitraries.longs().between(1, 3),
                Arbitraries.longs().between(0, 40 * 60)).as(Version::new).list();
    }

    private static ArchiveChanges.Settings settings(long from, long to, long lookback, long backfillAfter, long minBurst) {
        return new ArchiveChanges.Settings(TestArchive.TOPIC, from, to, lookback, backfillAfter, minBurst, List.of(), Map.of());
    }

    /** What a restore of the suggestion would write: series (OpenTSDB's notation) to timestamp to value. */
    private static Map<String, Map<Long, Object>> restore(Storage storage, ArchiveChanges.Suggestion suggestion)
            throws IOException, InterruptedException {
        RestorePlan plan = RestorePlan.of(storage, TestArchive.TOPIC, suggestion.selection());
        Map<String, Map<Long, Object>> out = new TreeMap<>();
        SelectionReader reader = new SelectionReader(storage, plan.selection());
        for (var unit : plan.units()) {
            reader.read(unit, series -> {
                for (int i = 0; i < series.size(); i++) {
                    out.computeIfAbsent(series.id().key().toString(), s -> new TreeMap<>()).put(series.timestampMs(i), series.value(i));
                }
            });
        }
        return out;
    }

    private static double good(int k) {
        return 1.0 + k * 0.25;
    }
}
