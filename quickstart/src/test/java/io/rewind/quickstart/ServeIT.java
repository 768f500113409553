package io.rewind.quickstart;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.rewind.archive.storage.local.LocalStorage;
import io.rewind.cli.CliRun;
import io.rewind.devstack.DevStack;
import io.rewind.devstack.Tsd;
import io.rewind.devstack.TsdClient;
import io.rewind.devstack.junit.DevStackExtension;
import io.rewind.restore.TestArchive;
import io.rewind.restore.TestArchive.Ingested;
import io.rewind.restore.serve.ServeServer;
import io.rewind.schema.TimestampPrecision;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@code rewind serve} answers as a TSD does: the same archive restored into a real OpenTSDB 2.4.1 and served, a few hundred
 * generated queries (aggregators × downsampling and fill × rate × filters and group-by × ranges, in seconds and
 * milliseconds) give equal JSON, floats within rounding; and {@code as_of} shows the archive as a restore as of that moment
 * writes it.
 */
@ExtendWith(DevStackExtension.class)
class ServeIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long MIN = 60_000;
    /**
     * Every aggregator serve computes but first, last and diff: those take the first or last series of a group, and a TSD orders
     * a group's series by the UIDs it gave their names in the order they were first written to it.
     */
    private static final String[] AGGREGATORS = {"none", "sum", "avg", "min", "max", "count", "zimsum", "mimmax", "mimmin", "pfsum", "dev",
            "median", "squareSum", "mult"};
    private static final String[] DOWNSAMPLES = {null, null, "1m-avg", "5m-sum", "30s-max", "2m-min-zero", "10m-count-nan", "1m-avg-null",
            "15m-zimsum", "3m-mimmax-zero", "1h-sum", "7m-avg", "45m-sum-zero", "1m-dev", "90s-median-nan", "10m-last", "4m-mult-null"};
    private static final String[] RATES = {null, null, null, "rate", "rate{counter}", "rate{counter,1000,0}", "rate{dropcounter}", "rate{counter,,,true}"};
    private static final String[] TAGS = {"", "", "{host=*}", "{host=web01}", "{host=web01|web02}", "{dc=*}", "{host=web0*}", "{host=*,dc=lga}",
            "{}{host=literal_or(web01|web03)}", "{}{host=wildcard(web*),dc=literal_or(fra)}", "{dc=*}{host=wildcard(*0*)}"};
    private static final String[] METRICS = {"serve.cpu", "serve.lat", "serve.ctr"};

    private static Path dir;
    private static long base;
    private static long rewrittenAt;
    private static Tsd latest;
    private static Tsd asOf;
    private static ServeServer server;

    @BeforeAll
    static void archiveRestoreAndServe(DevStack stack) throws Exception {
        dir = Path.of(System.getProperty("rewind.it.dir", System.getProperty("java.io.tmpdir"))).resolveSibling("serve-it").toAbsolutePath();
        DevStack.deleteRecursively(dir);
        Path archive = dir.resolve("archive");
        base = (System.currentTimeMillis() / TestArchive.HOUR - 4) * TestArchive.HOUR;
        rewrittenAt = base + 3 * TestArchive.HOUR;
        try (LocalStorage storage = new LocalStorage(archive)) {
            TestArchive writer = new TestArchive(storage, 2);
            writer.commit(workload(new Random(7)));
            writer.commit(rewrites(new Random(8)));
        }
        latest = stack.tsd("serve-latest", Map.of());
        asOf = stack.tsd("serve-asof", Map.of());
        restore(archive, latest, null);
        restore(archive, asOf, Long.toString(rewrittenAt - 1));
        server = ServeServer.start(new LocalStorage(archive), TestArchive.TOPIC, "127.0.0.1", 0);
        io.rewind.devstack.process.Await.until("serve to read the archive's names", java.time.Duration.ofMinutes(1), () -> { },
                server::namesRead);
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void generatedQueriesGiveTheTsdsJson() {
        Random random = new Random(42);
        List<String> differences = new ArrayList<>();
        int queries = 300;
        long[] compared = new long[3]; // answers with points, points, refusals
        for (int q = 0; q < queries; q++) {
            String query = query(random);
            compare(query, TsdClient.of(latest), query, differences, compared);
        }
        System.out.printf("serve vs TSD: %d queries, %d answers with points, %d points compared, %d refused alike%n", queries, compared[0],
                compared[1], compared[2]);
        // Not a comparison of empty answers: most queries hold points, and the refusals are the few malformed ones.
        assertThat(compared[0]).isGreaterThan(queries * 3 / 4);
        assertThat(compared[1]).isGreaterThan(10_000);
        assertThat(differences).as("%d of %d queries differ; the first:%n%s", differences.size(), queries,
                String.join("\n", differences.subList(0, Math.min(40, differences.size())))).isEmpty();
    }

    /**
     * Intervals that do not divide the hour, from a start on one of their boundaries but not on an hour: a TSD reads and fills
     * from the first bucket at or after the hour it scans from.
     */
    @Test
    void intervalsThatDoNotDivideTheHourStartWhereATsdStarts() {
        List<String> differences = new ArrayList<>();
        long[] compared = new long[3];
        for (long interval : new long[] {45 * MIN, 7 * MIN}) {
            // The first boundary after an hour that is not on the hour: the first bucket a TSD scanning from that hour reads.
            long hour = base + TestArchive.HOUR;
            long start = (hour + interval - 1) / interval * interval;
            while (start == hour) {
                hour += TestArchive.HOUR;
                start = (hour + interval - 1) / interval * interval;
            }
            String i = interval / MIN + "m";
            for (String m : List.of("pfsum:" + i + "-sum-zero:rate{counter}:serve.ctr{dc=*}", "sum:" + i + "-avg-zero:serve.cpu",
                    "avg:" + i + "-max-nan:rate:serve.lat{host=*}", "max:" + i + "-avg:serve.cpu{host=*}")) {
                String query = "start=" + start / 1000 + "&end=" + (start / 1000 + 3600) + "&m=" + URLEncoder.encode(m, StandardCharsets.UTF_8)
                        + "&ms=true";
                compare(query, TsdClient.of(latest), query, differences, compared);
            }
        }
        assertThat(compared[0]).isEqualTo(8);
        assertThat(differences).as(String.join("\n", differences)).isEmpty();
    }

    /** What Grafana's OpenTSDB data source POSTs: numeric ms bounds, filters with and without group-by, rate options, a fill. */
    @Test
    void grafanasPostedQueriesGiveTheTsdsJson() {
        Random random = new Random(44);
        List<String> differences = new ArrayList<>();
        long[] compared = new long[3];
        for (int q = 0; q < 100; q++) {
            String body = postBody(random, null);
            compareBodies(body, TsdClient.of(latest), body, differences, compared);
        }
        for (int q = 0; q < 20; q++) {
            compareBodies(postBody(new Random(1000 + q), rewrittenAt - 1), TsdClient.of(asOf), postBody(new Random(1000 + q), null), differences,
                    compared);
        }
        System.out.printf("serve vs TSD, POST: %d answers with points, %d points compared%n", compared[0], compared[1]);
        assertThat(compared[0]).isGreaterThan(80);
        assertThat(differences).as(String.join("\n", differences.subList(0, Math.min(20, differences.size())))).isEmpty();
    }

    private static String postBody(Random random, Long asOfMs) {
        long start = base + random.nextInt(150) * MIN + random.nextInt(60_000);
        long end = start + (5 + random.nextInt(120)) * MIN;
        com.fasterxml.jackson.databind.node.ObjectNode body = JSON.createObjectNode().put("start", start).put("end", end)
                .put("msResolution", random.nextBoolean()).put("globalAnnotations", true);
        if (asOfMs != null) {
            body.put("as_of", asOfMs);
        }
        com.fasterxml.jackson.databind.node.ObjectNode q = body.putArray("queries").addObject()
                .put("metric", METRICS[random.nextInt(METRICS.length)])
                .put("aggregator", AGGREGATORS[1 + random.nextInt(AGGREGATORS.length - 1)]);
        String downsample = DOWNSAMPLES[random.nextInt(DOWNSAMPLES.length)];
        if (downsample != null) {
            q.put("downsample", downsample);
        }
        if (random.nextInt(3) == 0) {
            q.put("rate", true);
            com.fasterxml.jackson.databind.node.ObjectNode options = q.putObject("rateOptions").put("counter", random.nextBoolean());
            if (random.nextBoolean()) {
                options.put("counterMax", 1000).put("resetValue", 1);
            }
        }
        com.fasterxml.jackson.databind.node.ArrayNode filters = q.putArray("filters");
        switch (random.nextInt(5)) {
            case 0 -> filters.addObject().put("type", "literal_or").put("tagk", "host").put("filter", "web01|web03").put("groupBy", true);
            case 1 -> filters.addObject().put("type", "wildcard").put("tagk", "host").put("filter", "*").put("groupBy", true);
            case 2 -> filters.addObject().put("type", "iliteral_or").put("tagk", "dc").put("filter", "LGA").put("groupBy", false);
            case 3 -> {
                filters.addObject().put("type", "regexp").put("tagk", "host").put("filter", "web0[12]").put("groupBy", false);
                filters.addObject().put("type", "wildcard").put("tagk", "dc").put("filter", "*").put("groupBy", true);
            }
            default -> { }
        }
        return body.toString();
    }

    private static void compareBodies(String servedBody, TsdClient tsd, String tsdBody, List<String> differences, long[] compared) {
        TsdClient.Response expected = tsd.post("/api/query", tsdBody, false);
        TsdClient.Response actual = new TsdClient("127.0.0.1", server.port()).post("/api/query", servedBody, false);
        record(tsdBody, expected, actual, differences, compared);
    }

    @Test
    void asOfShowsWhatARestoreAsOfThatMomentWrites() {
        Random random = new Random(43);
        List<String> differences = new ArrayList<>();
        for (int q = 0; q < 40; q++) {
            String query = query(random);
            compare(query + "&as_of=" + (rewrittenAt - 1), TsdClient.of(asOf), query, differences, new long[3]);
        }
        assertThat(differences).as(String.join("\n", differences.subList(0, Math.min(10, differences.size())))).isEmpty();
    }

    @Test
    void theSmallEndpointsAnswerAsTheTsdDoes() {
        TsdClient tsd = TsdClient.of(latest);
        TsdClient served = new TsdClient("127.0.0.1", server.port());
        for (String path : List.of("/api/suggest?type=metrics&q=serve", "/api/suggest?type=metrics&q=", "/api/suggest?type=tagk&q=",
                "/api/suggest?type=tagv&q=web", "/api/suggest?type=tagv&q=web&max=2", "/api/aggregators", "/api/config/filters")) {
            TsdClient.Response expected = tsd.get(path);
            TsdClient.Response actual = served.get(path);
            assertThat(actual.status()).as(path).isEqualTo(expected.status());
            assertThat(actual.json()).as(path).isEqualTo(expected.json());
        }
        TsdClient.Response unknown = served.get("/api/query?start=1h-ago&m=sum:no.such.metric");
        assertThat(unknown.status()).isEqualTo(tsd.get("/api/query?start=1h-ago&m=sum:no.such.metric").status());
        assertThat(unknown.json().path("error").path("message").asText()).contains("No such name for 'metrics': 'no.such.metric'");
    }

    private static void compare(String servedQuery, TsdClient tsd, String tsdQuery, List<String> differences, long[] compared) {
        TsdClient.Response expected = tsd.get("/api/query?" + tsdQuery);
        TsdClient.Response actual = new TsdClient("127.0.0.1", server.port()).get("/api/query?" + servedQuery);
        record(tsdQuery, expected, actual, differences, compared);
    }

    private static void record(String tsdQuery, TsdClient.Response expected, TsdClient.Response actual, List<String> differences, long[] compared) {
        if (expected.status() != actual.status()) {
            differences.add(tsdQuery + "\n  TSD HTTP " + expected.status() + ": " + shorten(expected.body()) + "\n  serve HTTP " + actual.status()
                    + ": " + shorten(actual.body()));
            return;
        }
        if (expected.status() != 200) {
            compared[2]++;
            String message = expected.json().path("error").path("message").asText();
            if (!actual.json().path("error").path("message").asText().equals(message)) {
                differences.add(tsdQuery + "\n  TSD: " + message + "\n  serve: " + actual.json().path("error").path("message").asText());
            }
            return;
        }
        List<Answer> tsdAnswer = answer(expected.body());
        long points = tsdAnswer.stream().mapToLong(a -> a.dps().size()).sum();
        compared[0] += points > 0 ? 1 : 0;
        compared[1] += points;
        String why = difference(tsdAnswer, answer(actual.body()));
        if (why != null) {
            differences.add(tsdQuery + "\n  " + why + "\n  TSD:   " + shorten(expected.body()) + "\n  serve: " + shorten(actual.body()));
        }
    }

    /** One series of an answer: what it names, and its points in the order written, duplicate keys included. */
    record Answer(String metric, Map<String, String> tags, java.util.Set<String> aggregateTags, List<Map.Entry<String, JsonNode>> dps) {
    }

    /**
     * An answer read as a client reads it: the series as a set (a TSD orders them, and the aggregated tag keys, by the UIDs it
     * gave names in the order they were first written; serve by name), tags as a map, and the points in order with every key
     * (a TSD writes a key twice for two points in one second without ms resolution).
     */
    static List<Answer> answer(String body) {
        try (com.fasterxml.jackson.core.JsonParser parser = JSON.getFactory().createParser(body)) {
            List<Answer> out = new ArrayList<>();
            parser.nextToken(); // [
            while (parser.nextToken() == com.fasterxml.jackson.core.JsonToken.START_OBJECT) {
                String metric = null;
                Map<String, String> tags = new java.util.TreeMap<>();
                java.util.Set<String> aggregated = new java.util.TreeSet<>();
                List<Map.Entry<String, JsonNode>> dps = new ArrayList<>();
                while (parser.nextToken() == com.fasterxml.jackson.core.JsonToken.FIELD_NAME) {
                    String field = parser.getCurrentName();
                    parser.nextToken();
                    switch (field) {
                        case "metric" -> metric = parser.getText();
                        case "tags" -> {
                            while (parser.nextToken() == com.fasterxml.jackson.core.JsonToken.FIELD_NAME) {
                                String k = parser.getCurrentName();
                                parser.nextToken();
                                tags.put(k, parser.getText());
                            }
                        }
                        case "aggregateTags" -> {
                            while (parser.nextToken() != com.fasterxml.jackson.core.JsonToken.END_ARRAY) {
                                aggregated.add(parser.getText());
                            }
                        }
                        case "dps" -> {
                            while (parser.nextToken() == com.fasterxml.jackson.core.JsonToken.FIELD_NAME) {
                                String k = parser.getCurrentName();
                                parser.nextToken();
                                dps.add(Map.entry(k, (JsonNode) JSON.readTree(parser)));
                            }
                        }
                        default -> parser.skipChildren();
                    }
                }
                out.add(new Answer(metric, tags, aggregated, dps));
            }
            out.sort(java.util.Comparator.comparing(a -> a.metric() + a.tags()));
            return out;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("Not a query answer: " + shorten(body), e);
        }
    }

    /** Where two answers differ, or null: the same series, names and points, numbers equal within float rounding. */
    static String difference(List<Answer> a, List<Answer> b) {
        if (a.size() != b.size()) {
            return a.size() + " series vs " + b.size();
        }
        for (int s = 0; s < a.size(); s++) {
            Answer x = a.get(s);
            Answer y = b.get(s);
            if (!x.metric().equals(y.metric()) || !x.tags().equals(y.tags()) || !x.aggregateTags().equals(y.aggregateTags())) {
                return "series " + s + ": " + x.metric() + x.tags() + x.aggregateTags() + " vs " + y.metric() + y.tags() + y.aggregateTags();
            }
            if (x.dps().size() != y.dps().size()) {
                return x.tags() + ": " + x.dps().size() + " points vs " + y.dps().size();
            }
            for (int i = 0; i < x.dps().size(); i++) {
                Map.Entry<String, JsonNode> p = x.dps().get(i);
                Map.Entry<String, JsonNode> q = y.dps().get(i);
                if (!p.getKey().equals(q.getKey()) || !sameValue(p.getValue(), q.getValue())) {
                    return x.tags() + " point " + i + ": " + p + " vs " + q;
                }
            }
        }
        return null;
    }

    private static boolean sameValue(JsonNode a, JsonNode b) {
        if (a.isNumber() && b.isNumber()) {
            double x = a.asDouble();
            double y = b.asDouble();
            return a.isIntegralNumber() == b.isIntegralNumber() && (x == y || Math.abs(x - y) <= 1e-9 * Math.max(Math.abs(x), Math.abs(y)));
        }
        return a.equals(b);
    }

    private static String shorten(String text) {
        String first = text.replaceAll(",\"trace\":\"[^\"]*\"", "");
        return first.length() > 400 ? first.substring(0, 400) + "..." : first;
    }

    /** A generated query in the GET form Grafana's OpenTSDB data source sends. */
    private static String query(Random random) {
        long start = base + random.nextInt(150) * MIN + (random.nextBoolean() ? 0 : random.nextInt(60_000));
        long end = start + (5 + random.nextInt(90)) * MIN + (random.nextBoolean() ? 0 : random.nextInt(60_000));
        boolean millis = random.nextInt(3) == 0;
        String startText = millis || start % 1000 == 0 ? Long.toString(millis ? start : start / 1000) : Long.toString(start / 1000);
        String endText = millis || end % 1000 == 0 ? Long.toString(millis ? end : end / 1000) : Long.toString(end / 1000);
        StringBuilder m = new StringBuilder(AGGREGATORS[random.nextInt(AGGREGATORS.length)]).append(':');
        String downsample = DOWNSAMPLES[random.nextInt(DOWNSAMPLES.length)];
        if (downsample != null) {
            m.append(downsample).append(':');
        }
        String rate = RATES[random.nextInt(RATES.length)];
        if (rate != null && rate.contains("counter") && m.toString().startsWith("dev:")) {
            // A gauge read as a counter wraps to rates near 6e17, whose deviation is rounding noise that depends on the order of
            // the group's series (a TSD's UID order).
            rate = "rate";
        }
        if (rate != null) {
            m.append(rate).append(':');
        }
        m.append(METRICS[random.nextInt(METRICS.length)]).append(TAGS[random.nextInt(TAGS.length)]);
        return "start=" + startText + "&end=" + endText + "&m=" + URLEncoder.encode(m.toString(), StandardCharsets.UTF_8)
                + (random.nextBoolean() ? "&ms=true" : "");
    }

    /**
     * Three metrics over three hours: integer gauges every 15 s in seconds with gaps, on series of different tag sets;
     * floats at irregular millisecond timestamps; counters that reset.
     */
    private static List<Ingested> workload(Random random) {
        List<Ingested> points = new ArrayList<>();
        List<Map<String, String>> cpuSeries = List.of(tags("host", "web01", "dc", "lga"), tags("host", "web02", "dc", "lga"),
                tags("host", "web03", "dc", "fra"), tags("host", "db01", "dc", "fra", "role", "db"));
        for (Map<String, String> tags : cpuSeries) {
            long value = random.nextInt(1000);
            for (long t = base; t < base + 3 * TestArchive.HOUR; t += 15_000) {
                value = Math.max(0, value + random.nextInt(41) - 20);
                if (random.nextInt(10) > 0) {
                    points.add(new Ingested(TestArchive.point("serve.cpu", t, TimestampPrecision.SECONDS, value, tags), t + 200));
                }
            }
        }
        for (String host : List.of("web01", "web02", "web03")) {
            for (long t = base + random.nextInt(5000); t < base + 3 * TestArchive.HOUR; t += 4000 + random.nextInt(9000)) {
                double value = Math.round(random.nextDouble() * 100_000) / 100.0;
                points.add(new Ingested(TestArchive.point("serve.lat", t, TimestampPrecision.MILLISECONDS, value, tags("host", host,
                        "dc", host.equals("web03") ? "fra" : "lga")), t + 200));
            }
        }
        for (String host : List.of("web01", "web02")) {
            long counter = random.nextInt(500);
            for (long t = base; t < base + 3 * TestArchive.HOUR; t += 30_000) {
                counter += random.nextInt(200);
                if (random.nextInt(60) == 0) {
                    counter = random.nextInt(50); // a restart
                }
                points.add(new Ingested(TestArchive.point("serve.ctr", t, TimestampPrecision.SECONDS, counter, tags("host", host, "dc", "lga")),
                        t + 200));
            }
        }
        return points;
    }

    /** New values for part of web01's gauge, received at {@code rewrittenAt}: what as_of looks behind. */
    private static List<Ingested> rewrites(Random random) {
        List<Ingested> points = new ArrayList<>();
        for (long t = base + 30 * MIN; t < base + 90 * MIN; t += 15_000) {
            points.add(new Ingested(TestArchive.point("serve.cpu", t, TimestampPrecision.SECONDS, 5000L + random.nextInt(100),
                    tags("host", "web01", "dc", "lga")), rewrittenAt));
        }
        return points;
    }

    private static Map<String, String> tags(String... kv) {
        Map<String, String> tags = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            tags.put(kv[i], kv[i + 1]);
        }
        return tags;
    }

    private static void restore(Path archive, Tsd tsd, String asOfMs) {
        List<String> args = new ArrayList<>(List.of("restore", "--archive", archive.toString(), "--from", Long.toString(base), "--to",
                Long.toString(base + 4 * TestArchive.HOUR), "--target", tsd.httpUrl().toString(), "--rejects",
                dir.resolve(tsd.name() + ".rejects.jsonl").toString(), "--fresh"));
        if (asOfMs != null) {
            args.addAll(List.of("--as-of", asOfMs));
        }
        CliRun run = CliRun.of(args.toArray(String[]::new));
        assertThat(run.exitCode()).as(run.out() + run.err()).isZero();
    }
}
