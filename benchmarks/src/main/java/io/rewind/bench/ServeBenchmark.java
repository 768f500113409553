package io.rewind.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.rewind.archive.ArchiveLayout;
import io.rewind.archive.storage.local.LocalStorage;
import io.rewind.devstack.DevStack;
import io.rewind.devstack.Tsd;
import io.rewind.devstack.TsdClient;
import io.rewind.restore.serve.ServeServer;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * {@code bin/rewind bench serve [hours]}: the same queries against a real TSD holding an archive's points (restored into its
 * HBase tables as compacted rows) and against {@code rewind serve} over that archive, side by side: Grafana-like queries over
 * the whole range (a day by default) of one metric's series, each answered once to warm up, then timed three times (the
 * median); serve's first answer, before any cache, is printed too. Both answers are compared: the same series and points.
 */
public final class ServeBenchmark {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ServeBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        if (System.getProperty("logback.configurationFile") == null) {
            System.setProperty("logback.configurationFile", "io/rewind/devstack/cli/dev-logback.xml");
        }
        int hours = args.length > 0 ? Integer.parseInt(args[0]) : 24;
        Path work = Path.of("benchmarks", "target", "bench-serve").toAbsolutePath();
        Path archive = work.resolve("archive");
        DevStack.deleteRecursively(work);
        long points = RestoreBenchmark.writeArchive(archive, hours);
        long from = RestoreBenchmark.START;
        long to = from + hours * ArchiveLayout.HOUR_MS;
        System.out.printf("Serve benchmark: %,d points over %d hour(s) (%d series of each of 7 metrics), archive %s%n", points, hours,
                RealisticDataset.HOSTS * RealisticDataset.CPUS, archive);
        try (DevStack stack = DevStack.start(work.resolve("stack"), List.of("serve"), true)) {
            Tsd tsd = stack.tsd("serve");
            List<String> restore = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                    System.getProperty("java.class.path"), "io.rewind.cli.RewindCli", "restore", "--archive", archive.toString(), "--from",
                    Long.toString(from), "--to", Long.toString(to), "--storage-config", tsd.configFile().toString(), "--rejects",
                    work.resolve("rejects.jsonl").toString());
            Path log = work.resolve("restore.log");
            long t0 = System.nanoTime();
            if (new ProcessBuilder(restore).redirectErrorStream(true).redirectOutput(log.toFile()).start().waitFor() != 0) {
                throw new IllegalStateException("the restore into the TSD failed: " + Files.readString(log));
            }
            System.out.printf("The archive restored into the TSD's tables in %.1f s%n", (System.nanoTime() - t0) / 1e9);
            String range = "start=" + from + "&end=" + (to - 1);
            List<String> queries = List.of(
                    "sum:sys.cpu.user",
                    "sum:1m-avg:sys.cpu.user{host=*}",
                    "avg:5m-max:sys.cpu.util.pct{host=web01,cpu=*}",
                    "sum:rate{counter}:sys.cpu.user{dc=*}",
                    "max:1h-avg:sys.cpu.temp.celsius",
                    "none:10m-avg:sys.cpu.user{host=web01|web02}");
            TsdClient reference = TsdClient.of(tsd);
            try (ServeServer serve = ServeServer.start(new LocalStorage(archive), "points", "127.0.0.1", 0)) {
                TsdClient served = new TsdClient("127.0.0.1", serve.port());
                System.out.printf("%-48s %9s %9s %11s %11s %9s %s%n", "query (over the whole range)", "points", "TSD s", "serve 1st s",
                        "serve s", "serve/TSD", "same answer");
                double tsdTotal = 0;
                double serveTotal = 0;
                for (String m : queries) {
                    String path = "/api/query?" + range + "&m=" + URLEncoder.encode(m, StandardCharsets.UTF_8);
                    double first = seconds(() -> served.get(path));
                    reference.get(path);
                    double tsdSeconds = median(reference, path);
                    double serveSeconds = median(served, path);
                    JsonNode expected = reference.get(path).json();
                    JsonNode actual = served.get(path).json();
                    long dps = 0;
                    for (JsonNode s : expected) {
                        dps += s.path("dps").size();
                    }
                    tsdTotal += tsdSeconds;
                    serveTotal += serveSeconds;
                    System.out.printf("%-48s %,9d %9.3f %11.3f %11.3f %9.2f %s%n", m, dps, tsdSeconds, first, serveSeconds, serveSeconds / tsdSeconds,
                            same(expected, actual) ? "yes" : "NO");
                }
                System.out.printf("%-48s %9s %9.3f %11s %11.3f %9.2f%n", "all queries", "", tsdTotal, "", serveTotal, serveTotal / tsdTotal);
            }
        }
    }

    private interface Call {
        Object run() throws Exception;
    }

    private static double seconds(Call call) throws Exception {
        long t0 = System.nanoTime();
        call.run();
        return (System.nanoTime() - t0) / 1e9;
    }

    private static double median(TsdClient client, String path) throws Exception {
        double[] runs = new double[3];
        for (int i = 0; i < runs.length; i++) {
            TsdClient.Response[] response = new TsdClient.Response[1];
            runs[i] = seconds(() -> response[0] = client.get(path));
            if (response[0].status() != 200) {
                throw new IllegalStateException(path + ": HTTP " + response[0].status() + " " + response[0].body());
            }
        }
        Arrays.sort(runs);
        return runs[1];
    }

    /** The same series (by tags) with the same points, values within float rounding. */
    private static boolean same(JsonNode a, JsonNode b) {
        if (a.size() != b.size()) {
            return false;
        }
        List<JsonNode> x = sorted(a);
        List<JsonNode> y = sorted(b);
        for (int i = 0; i < x.size(); i++) {
            JsonNode p = x.get(i).path("dps");
            JsonNode q = y.get(i).path("dps");
            if (!x.get(i).path("tags").equals(y.get(i).path("tags")) || p.size() != q.size()) {
                return false;
            }
            var names = p.fieldNames();
            while (names.hasNext()) {
                String t = names.next();
                double u = p.get(t).asDouble();
                double v = q.path(t).asDouble(Double.NaN);
                if (!(u == v || Math.abs(u - v) <= 1e-9 * Math.max(Math.abs(u), Math.abs(v)))) {
                    return false;
                }
            }
        }
        return true;
    }

    private static List<JsonNode> sorted(JsonNode answer) {
        List<JsonNode> out = new ArrayList<>();
        answer.forEach(out::add);
        out.sort(java.util.Comparator.comparing(s -> JSON.convertValue(s.path("tags"), java.util.TreeMap.class).toString()));
        return out;
    }
}
