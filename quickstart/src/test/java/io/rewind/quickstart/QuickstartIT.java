package io.rewind.quickstart;

import static org.assertj.core.api.Assertions.assertThat;

import io.rewind.devstack.DevStack;
import io.rewind.devstack.Tsd;
import io.rewind.devstack.TsdClient;
import io.rewind.devstack.junit.DevStackExtension;
import io.rewind.cli.RewindCli;
import io.rewind.service.TimeArgs;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import picocli.CommandLine;

/**
 * The quickstart's story, shorter, on the test run's dev stack: collectors write through the tap, the
 * archiver archives, a bad writer overwrites a metric, {@code rewind changes} finds when and which, and
 * the restore it suggests brings that metric back as of just before the incident into the recovery TSD. Then a staging replay of a filtered, renamed,
 * retagged and time-shifted selection into the same TSD.
 */
@ExtendWith(DevStackExtension.class)
class QuickstartIT {
    private static final int WORKLOAD_SECONDS = 12;
    private static final long WEEK_MS = Duration.ofDays(7).toMillis();

    private static Path dir;
    private static Pipeline pipeline;
    private static Story.Result result;

    @BeforeAll
    static void runTheStory(DevStack stack) throws Exception {
        dir = Path.of(System.getProperty("rewind.it.dir", System.getProperty("java.io.tmpdir"))).resolveSibling("quickstart-it").toAbsolutePath();
        DevStack.deleteRecursively(dir);
        pipeline = Pipeline.start(stack, stack.tsd(DevStackExtension.PRODUCTION), dir, Duration.ofSeconds(2));
        StringWriter story = new StringWriter();
        result = new Story(pipeline, stack.tsd(DevStackExtension.PRODUCTION), stack.tsd(DevStackExtension.RECOVERY), dir,
                new Story.Timing(Duration.ofSeconds(WORKLOAD_SECONDS), Duration.ofSeconds(3), Duration.ofMinutes(3)), new PrintWriter(story)).run();
        System.out.print(story);
    }

    @AfterAll
    static void stopThePipeline() {
        if (pipeline != null) {
            pipeline.close();
        }
    }

    @Test
    void recoveryHoldsWhatProductionHeldBeforeTheIncident(DevStack stack) {
        TsdData recovery = TsdData.query(TsdClient.of(stack.tsd(DevStackExtension.RECOVERY)), Workload.METRICS, result.fromMs(), result.toMs());

        assertThat(result.beforeIncident().points()).isEqualTo(Workload.goodPoints(WORKLOAD_SECONDS));
        assertThat(result.beforeIncident().series()).hasSize(Workload.SERIES);
        // 'rewind changes' named the metric the garbage rewrote, and a moment after every good point and before the garbage.
        assertThat(result.restoredMetrics()).containsExactly(Workload.DAMAGED_METRIC);
        assertThat(result.asOfMs()).isGreaterThanOrEqualTo(result.workloadEndMs());
        assertThat(result.changes()).contains(Workload.DAMAGED_METRIC).contains("Suggested restore");
        // What it suggested, run, brought back what production held of that metric before the incident, and nothing else.
        assertThat(result.beforeIncidentOfRestored().series()).hasSize(Workload.TELNET_HOSTS);
        assertThat(result.beforeIncidentOfRestored().points()).isEqualTo((long) Workload.TELNET_HOSTS * WORKLOAD_SECONDS);
        assertThat(recovery.differences(result.beforeIncidentOfRestored())).isEmpty();
        // The incident is real: production now has garbage where every host's load average was.
        assertThat(result.damagedPoints()).isEqualTo((long) Workload.TELNET_HOSTS * WORKLOAD_SECONDS);
        TsdData productionNow = TsdData.query(TsdClient.of(stack.tsd(DevStackExtension.PRODUCTION)), List.of(Workload.DAMAGED_METRIC),
                result.fromMs(), result.toMs());
        assertThat(result.beforeIncident().filter(s -> s.metric().equals(Workload.DAMAGED_METRIC)).differences(productionNow)).isNotEmpty();
        // Every point sent is in Kafka and in the archive, once.
        assertThat(result.pointsInKafka()).isEqualTo(result.pointsSent());
        assertThat(result.pointsArchived()).isEqualTo(result.pointsSent());
        assertThat(result.restore().path("verification").path("equal").asBoolean()).isTrue();
        assertThat(result.verified()).isTrue();
    }

    @Test
    void stagingReplayWritesTheFilteredRenamedRetaggedShiftedSeries(DevStack stack) {
        Tsd recovery = stack.tsd(DevStackExtension.RECOVERY);
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = RewindCli.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int exit = cli.execute("restore", "--archive", pipeline.archiveDir().toString(), "--from", TimeArgs.format(result.fromMs()),
                "--to", TimeArgs.format(result.toMs()), "--as-of", TimeArgs.format(result.asOfMs()), "--metric", "sys.cpu.*",
                "--tag", "host=web0*", "--rename-metric", "sys\\.(.*)=staging.sys.$1", "--set-tag", "env=staging", "--drop-tag", "dc",
                "--time-shift", "+7d", "--target", recovery.httpUrl().toString(), "--rejects", dir.resolve("staging.rejects.jsonl").toString());
        assertThat(exit).as("%s%s", out, err).isZero();

        TsdData expected = result.beforeIncident()
                .filter(s -> s.metric().startsWith("sys.cpu.") && s.tags().get("host").matches("web0\\d"))
                .map(s -> {
                    Map<String, String> tags = new LinkedHashMap<>(s.tags());
                    tags.remove("dc");
                    tags.put("env", "staging");
                    return new TsdData.Series("staging." + s.metric(), tags);
                }, WEEK_MS);
        TsdData staged = TsdData.query(TsdClient.of(recovery), List.of("staging.sys.cpu.user", "staging.sys.cpu.system"),
                result.fromMs() + WEEK_MS, result.toMs() + WEEK_MS);

        assertThat(expected.series()).hasSize(2 * 9 * Workload.CPUS);
        assertThat(staged.series().keySet()).containsExactlyElementsOf(expected.series().keySet());
        assertThat(staged.differences(expected)).isEmpty();
    }

    /**
     * Not the tap's and the archiver's own counters: the topic read to its end offsets, and the archive's live files read
     * one by one. The topic holds one record per point the story sent (other tests' pipelines share the topic: their
     * metrics are left out), and the archive every one of those records once, with its series, timestamp, value and the
     * record's time as its ingest time.
     */
    @Test
    void theTopicReadToItsEndAndTheArchivesFilesHoldEachPointSentOnce(DevStack stack) throws Exception {
        Map<String, Long> inKafka = new java.util.TreeMap<>();
        long records = 0;
        io.rewind.schema.wire.SingleObjectWireFormat<io.rewind.schema.Point> format =
                new io.rewind.schema.wire.SingleObjectWireFormat<>(io.rewind.schema.Point.class);
        for (var record : io.rewind.devstack.TopicRecords.readToEnd(stack.kafka().bootstrapServers(), Pipeline.TOPIC,
                Duration.ofMinutes(2))) {
            io.rewind.schema.Point point = format.decode(record.value());
            if (!Workload.METRICS.contains(point.getMetric())) {
                continue; // the other tests' pipelines share the topic
            }
            inKafka.merge(version(point.getMetric(), new java.util.TreeMap<>(point.getTags()), point.getTimestampMs(),
                    record.timestamp(), String.valueOf(point.getValue())), 1L, Long::sum);
            records++;
        }
        assertThat(records).as("records of the story's metrics in the points topic").isEqualTo(result.pointsSent());

        Map<String, Long> archived = new java.util.TreeMap<>();
        try (io.rewind.archive.storage.Storage storage = new io.rewind.archive.storage.local.LocalStorage(pipeline.archiveDir())) {
            List<String> unreadable = new java.util.ArrayList<>();
            for (var unit : io.rewind.restore.source.ArchiveIndex.scanAll(storage, java.util.Optional.of(Pipeline.TOPIC), unreadable)
                    .restoreUnits()) {
                for (var file : unit.live()) {
                    try (var reader = io.rewind.archive.segment.SegmentFiles.open(storage, file.key(), id -> true)) {
                        while (reader.hasNext()) {
                            var series = reader.next();
                            if (!Workload.METRICS.contains(series.id().key().metric())) {
                                continue;
                            }
                            for (int i = 0; i < series.size(); i++) {
                                archived.merge(version(series.id().key().metric(), new java.util.TreeMap<>(series.id().key().tags()),
                                        series.timestampMs(i), series.ingestTimeMs(i), String.valueOf(series.value(i))), 1L, Long::sum);
                            }
                        }
                    }
                }
            }
            assertThat(unreadable).isEmpty();
        }
        assertThat(archived).as("every record of the topic, in the archive's live files, once").isEqualTo(inKafka);
    }

    private static String version(String metric, Map<String, String> tags, long timestampMs, long ingestMs, String value) {
        return metric + tags + " " + timestampMs + " @" + ingestMs + " = " + value;
    }
}
