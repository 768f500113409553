package io.rewind.quickstart;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.rewind.devstack.DevStack;
import io.rewind.devstack.Tsd;
import io.rewind.devstack.TsdClient;
import io.rewind.devstack.junit.DevStackExtension;
import io.rewind.devstack.process.Await;
import io.rewind.cli.RewindCli;
import io.rewind.service.TimeArgs;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Rollups and histograms end to end: written through the tap (HTTP {@code /api/rollup} and {@code /api/histogram}, and
 * their telnet forms) into a TSD configured for them, archived, restored into a fresh TSD configured the same way, and
 * answered there exactly as the source answers.
 */
@ExtendWith(DevStackExtension.class)
class RollupsAndHistogramsIT {
    private static final int HOURS = 3;

    @TempDir
    Path dir;

    @Test
    void rollupAndHistogramPointsWrittenThroughTheTapAreRestoredAsTheSourceHoldsThem(DevStack stack) throws Exception {
        Tsd source = stack.tsd("rh-source", Tsd.rollupsAndHistograms("rh-source"));
        Tsd target = stack.tsd("rh-target", Tsd.rollupsAndHistograms("rh-target"));
        long t0 = (System.currentTimeMillis() / 3_600_000 - HOURS - 1) * 3_600; // whole hours, in seconds
        int sent = 0;
        try (Pipeline pipeline = Pipeline.start(stack, source, dir, Duration.ofSeconds(2))) {
            TsdClient tap = new TsdClient("127.0.0.1", pipeline.tap().port());
            StringBuilder rollups = new StringBuilder("[");
            StringBuilder histograms = new StringBuilder("[");
            List<String> lines = new ArrayList<>();
            for (int h = 0; h < HOURS; h++) {
                for (String host : List.of("a", "b")) {
                    long ts = t0 + h * 3_600L;
                    rollups.append(sent == 0 ? "" : ",")
                            .append(String.format("{\"metric\":\"rh.requests\",\"timestamp\":%d,\"value\":%d,\"tags\":{\"host\":\"%s\"},"
                                    + "\"interval\":\"1h\",\"aggregator\":\"SUM\"},", ts, 100 + h, host))
                            .append(String.format("{\"metric\":\"rh.requests\",\"timestamp\":%d,\"value\":%d,\"tags\":{\"host\":\"%s\"},"
                                    + "\"interval\":\"1h\",\"aggregator\":\"COUNT\"}", ts, 10 + h, host));
                    histograms.append(sent == 0 ? "" : ",")
                            .append(String.format("{\"metric\":\"rh.latency\",\"timestamp\":%d,\"underflow\":0,\"overflow\":%d,"
                                    + "\"buckets\":{\"0,1.75\":%d,\"1.75,3.5\":7},\"tags\":{\"host\":\"%s\"}}", ts, h, 12 + h, host));
                    lines.add(String.format("rollup 1h-max rh.telnet.requests %d %d.5 host=%s", ts, 50 + h, host));
                    lines.add(String.format("histogram rh.telnet.latency %d 0,2=%d:2,4=3:u=1:o=0 host=%s", ts, 5 + h, host));
                    sent += 5; // two rollups and a histogram over HTTP, a rollup and a histogram over telnet
                }
            }
            TsdClient.Response rolled = tap.post("/api/rollup?details", rollups.append("]").toString(), false);
            assertThat(rolled.status()).as(rolled.body()).isEqualTo(200);
            TsdClient.Response histogrammed = tap.post("/api/histogram?details", histograms.append("]").toString(), true);
            assertThat(histogrammed.status()).as(histogrammed.body()).isEqualTo(200);
            assertThat(tap.telnet(lines)).as("the TSD's answers to the telnet lines").isEmpty();
            int points = sent;
            Await.until("the archiver to write the " + points + " points", Duration.ofMinutes(2), () -> { },
                    () -> pipeline.pointsArchived() >= points);
        }
        StringWriter out = new StringWriter();
        CommandLine cli = RewindCli.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(out, true));
        int exit = cli.execute("restore", "--archive", dir.resolve("archive").toString(), "--from", TimeArgs.format((t0 - 3_600) * 1000),
                "--to", TimeArgs.format((t0 + (HOURS + 1) * 3_600L) * 1000), "--metric", "rh.*", "--target", target.httpUrl().toString(),
                "--rejects", dir.resolve("rejects.jsonl").toString());
        assertThat(exit).as(out.toString()).isZero();

        for (String query : List.of(
                rollupQuery("rh.requests", "1h-sum"), rollupQuery("rh.requests", "1h-count"), rollupQuery("rh.telnet.requests", "1h-max"),
                histogramQuery("rh.latency"), histogramQuery("rh.telnet.latency"))) {
            String body = String.format(query, (t0 - 3_600) * 1000, (t0 + (HOURS + 1) * 3_600L) * 1000);
            TsdClient.Response expected = TsdClient.of(source).post("/api/query", body, false);
            TsdClient.Response restored = TsdClient.of(target).post("/api/query", body, false);
            assertThat(expected.status()).as("%s: %s", body, expected.body()).isEqualTo(200);
            JsonNode series = expected.json();
            assertThat(series).as("the source's answer to %s", body).isNotEmpty();
            assertThat(series.get(0).path("dps")).as("the source's answer to %s", body).isNotEmpty();
            assertThat(restored.status()).as("%s: %s", body, restored.body()).isEqualTo(200);
            assertThat(bySeries(restored.json())).as("the restored TSD's answer to %s", body).isEqualTo(bySeries(series));
        }

        // The histograms against what was sent: per host, per hour, each bucket's count, the underflow and the overflow.
        Map<String, Long> sentHistograms = new TreeMap<>();
        for (String host : List.of("a", "b")) {
            for (int h = 0; h < HOURS; h++) {
                String at = " " + host + " " + (t0 + h * 3_600L);
                sentHistograms.put("rh.latency_0.0_1.75" + at, 12L + h);
                sentHistograms.put("rh.latency_1.75_3.5" + at, 7L);
                sentHistograms.put("rh.latency_UNDERFLOW" + at, 0L);
                sentHistograms.put("rh.latency_OVERFLOW" + at, (long) h);
                sentHistograms.put("rh.telnet.latency_0.0_2.0" + at, 5L + h);
                sentHistograms.put("rh.telnet.latency_2.0_4.0" + at, 3L);
                sentHistograms.put("rh.telnet.latency_UNDERFLOW" + at, 1L);
                sentHistograms.put("rh.telnet.latency_OVERFLOW" + at, 0L);
            }
        }
        Map<String, Long> restoredHistograms = new TreeMap<>();
        for (String metric : List.of("rh.latency", "rh.telnet.latency")) {
            restoredHistograms.putAll(histogramBuckets(target, metric, t0 - 3_600, t0 + (HOURS + 1) * 3_600L));
        }
        assertThat(restoredHistograms).as("restored histograms against what was sent").isEqualTo(sentHistograms);

        // The rollups against what was sent, not only against the source: per host, per hour, the value written.
        Map<String, java.util.function.IntFunction<Double>> sentRollups = Map.of(
                "rh.requests 1h-sum", h -> 100.0 + h, "rh.requests 1h-count", h -> 10.0 + h, "rh.telnet.requests 1h-max", h -> 50.5 + h);
        sentRollups.forEach((rollup, valueAt) -> {
            String[] metricAndDownsample = rollup.split(" ");
            String body = String.format(rollupQuery(metricAndDownsample[0], metricAndDownsample[1]), (t0 - 3_600) * 1000,
                    (t0 + (HOURS + 1) * 3_600L) * 1000);
            Map<String, Map<Long, Double>> expected = new TreeMap<>();
            for (String host : List.of("a", "b")) {
                for (int h = 0; h < HOURS; h++) {
                    expected.computeIfAbsent(host, k -> new TreeMap<>()).put(t0 + h * 3_600L, valueAt.apply(h));
                }
            }
            Map<String, Map<Long, Double>> restored = new TreeMap<>();
            TsdClient.of(target).post("/api/query", body, false).json().forEach(series -> series.path("dps").fields()
                    .forEachRemaining(dp -> restored.computeIfAbsent(series.path("tags").path("host").asText(), k -> new TreeMap<>())
                            .put(Long.parseLong(dp.getKey()), dp.getValue().asDouble())));
            assertThat(restored).as("restored %s against what was sent", rollup).isEqualTo(expected);
        });
    }

    /** Each bucket count the restored TSD holds for the histogram metric, by bucket series, host and timestamp in seconds. */
    private static Map<String, Long> histogramBuckets(Tsd tsd, String metric, long from, long to) {
        String body = String.format("{\"start\":%d,\"end\":%d,\"queries\":[{\"aggregator\":\"none\",\"metric\":\"%s\","
                + "\"showHistogramBuckets\":true,\"percentiles\":[50]}]}", from * 1000, to * 1000, metric);
        TsdClient.Response answer = TsdClient.of(tsd).post("/api/query", body, false);
        assertThat(answer.status()).as(answer.body()).isEqualTo(200);
        Map<String, Long> buckets = new TreeMap<>();
        answer.json().forEach(series -> {
            String name = series.path("metric").asText();
            if (!name.contains("_pct_")) {
                series.path("dps").fields().forEachRemaining(dp -> buckets.put(name + " " + series.path("tags").path("host").asText()
                        + " " + dp.getKey(), dp.getValue().asLong()));
            }
        });
        return buckets;
    }

    /** A query's answer keyed by series: two TSDs list the same series in the order of their own UIDs. */
    private static Map<String, JsonNode> bySeries(JsonNode answer) {
        Map<String, JsonNode> series = new TreeMap<>();
        answer.forEach(s -> series.put(s.path("metric").asText() + s.path("tags"), s));
        return series;
    }

    private static String rollupQuery(String metric, String downsample) {
        return "{\"start\":%d,\"end\":%d,\"queries\":[{\"aggregator\":\"sum\",\"metric\":\"" + metric + "\",\"downsample\":\""
                + downsample + "\",\"rollupUsage\":\"ROLLUP_NOFALLBACK\",\"filters\":[{\"type\":\"wildcard\",\"tagk\":\"host\","
                + "\"filter\":\"*\",\"groupBy\":true}]}]}";
    }

    private static String histogramQuery(String metric) {
        return "{\"start\":%d,\"end\":%d,\"queries\":[{\"aggregator\":\"sum\",\"metric\":\"" + metric + "\",\"percentiles\":[50,99],"
                + "\"filters\":[{\"type\":\"wildcard\",\"tagk\":\"host\",\"filter\":\"*\",\"groupBy\":true}]}]}";
    }
}
