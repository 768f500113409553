package io.rewind.bench;

import io.rewind.devstack.DevStack;
import io.rewind.devstack.Tsd;
import io.rewind.devstack.TsdClient;
import io.rewind.tap.Tap;
import io.rewind.tap.TapConfig;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Points per second through the tap, next to writing to the TSD directly, all in one run on one dev
 * stack: telnet and HTTP, standalone into Kafka (async and {@code durability=wal}), and in front of a
 * TSD. Each path runs once unmeasured before it is measured, so the JIT, the broker and the TSD are
 * warm; CPU time per million points of this JVM and of the broker is printed too, a steadier figure
 * than the rate on a shared machine. A standalone run ends when Kafka has acknowledged every point; a TSD run ends when the TSD has
 * handled every line (telnet: its {@code version} answer after the last line) or request (HTTP).
 *
 * <p>{@code bin/rewind bench tap [standalone points] [tsd points] [key=value ...]}: tap settings
 * after the counts apply to every tap of the run, e.g. {@code kafka.batch.size=262144}.
 */
public final class TapBenchmark {
    private static final long T0 = 1_763_726_400L;
    private static final Map<String, String> EXTRA = new java.util.LinkedHashMap<>();

    private TapBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int standalonePoints = args.length > 0 ? Integer.parseInt(args[0]) : 2_000_000;
        int tsdPoints = args.length > 1 ? Integer.parseInt(args[1]) : 200_000;
        for (int i = 2; i < args.length; i++) {
            String[] setting = args[i].split("=", 2);
            EXTRA.put(setting[0], setting.length > 1 ? setting[1] : "");
        }
        if (!EXTRA.isEmpty()) {
            System.out.println("Tap settings for every run: " + EXTRA);
        }
        Path dir = Path.of(".rewind", "bench-tap").toAbsolutePath();
        System.out.printf("Starting Kafka, HBase and a TSD in %s ...%n", dir);
        try (DevStack stack = DevStack.start(dir, List.of("bench"), true)) {
            Tsd tsd = stack.tsd("bench");
            List<String[]> rows = new ArrayList<>();
            List<String> cpuRows = new ArrayList<>();
            // Every path runs once unmeasured first, so the JIT, the broker and the TSD are warm when measured.
            int n = 0;
            for (String durability : List.of("async", "wal", "async", "wal")) {
                boolean measured = n >= 2;
                int points = measured ? standalonePoints : standalonePoints / 4;
                String topic = "bench-tap-" + n++;
                stack.kafka().createTopic(topic, 4, Map.of());
                try (Tap tap = Tap.start(TapConfig.of(settings(stack, topic, dir.resolve("spool-" + topic), "", durability)))) {
                    Cpu cpu = new Cpu(stack);
                    long start = System.nanoTime();
                    telnet(tap.port(), "bench.standalone." + durability, points, 2);
                    awaitPublished(tap, points);
                    if (measured) {
                        rows.add(row("telnet, standalone -> Kafka, durability=" + durability, points, start));
                        cpuRows.add(cpu.row("telnet, durability=" + durability, points));
                    }
                }
            }
            String httpTopic = "bench-tap-http";
            stack.kafka().createTopic(httpTopic, 4, Map.of());
            try (Tap tap = Tap.start(TapConfig.of(settings(stack, httpTopic, dir.resolve("spool-http"), "", "async")))) {
                TsdClient client = new TsdClient("127.0.0.1", tap.port());
                http(client, "bench.standalone.http", standalonePoints / 20, 2);
                awaitPublished(tap, standalonePoints / 20);
                Cpu cpu = new Cpu(stack);
                long start = System.nanoTime();
                http(client, "bench.standalone.http", standalonePoints / 4, 2);
                awaitPublished(tap, standalonePoints / 20 + standalonePoints / 4);
                rows.add(row("HTTP /api/put, standalone -> Kafka", standalonePoints / 4, start));
                cpuRows.add(cpu.row("HTTP", standalonePoints / 4));
            }
            String frontTopic = "bench-tap-front";
            stack.kafka().createTopic(frontTopic, 4, Map.of());
            try (Tap tap = Tap.start(TapConfig.of(settings(stack, frontTopic, dir.resolve("spool-front"), "127.0.0.1:" + tsd.port(), "async")))) {
                TsdClient direct = TsdClient.of(tsd);
                TsdClient through = new TsdClient("127.0.0.1", tap.port());
                int warm = Math.max(1_000, tsdPoints / 10);
                telnet(tsd.port(), "bench.warm.telnet", warm, 1);
                telnet(tap.port(), "bench.warm.telnet", warm, 1);
                http(direct, "bench.warm.http", warm, 1);
                http(through, "bench.warm.http", warm, 1);
                long start = System.nanoTime();
                telnet(tsd.port(), "bench.direct.telnet", tsdPoints, 1);
                rows.add(row("telnet, direct to the TSD", tsdPoints, start));
                start = System.nanoTime();
                telnet(tap.port(), "bench.tap.telnet", tsdPoints, 1);
                rows.add(row("telnet, through the tap to the TSD", tsdPoints, start));
                start = System.nanoTime();
                http(direct, "bench.direct.http", tsdPoints / 2, 1);
                rows.add(row("HTTP /api/put, direct to the TSD", tsdPoints / 2, start));
                start = System.nanoTime();
                http(through, "bench.tap.http", tsdPoints / 2, 1);
                rows.add(row("HTTP /api/put, through the tap to the TSD", tsdPoints / 2, start));
            }
            System.out.printf("%n%-48s %12s %14s%n", "run", "points", "points/s");
            rows.forEach(r -> System.out.printf("%-48s %12s %14s%n", r[0], r[1], r[2]));
            System.out.printf("%nCPU per million points, standalone (this JVM: the tap and the benchmark's clients; the Kafka broker):%n");
            cpuRows.forEach(System.out::println);
            System.out.printf("%nthrough the tap / direct: telnet %.2f, HTTP %.2f%n",
                    rate(rows.get(4)) / rate(rows.get(3)), rate(rows.get(6)) / rate(rows.get(5)));
        }
    }

    private static Map<String, String> settings(DevStack stack, String topic, Path spool, String upstreams, String durability) {
        Map<String, String> s = TapConfig.localSettings(stack.kafka().bootstrapServers(), topic, spool, upstreams);
        s.put("durability", durability);
        s.putAll(EXTRA);
        return s;
    }

    /** CPU time of this JVM and of the broker from its creation, per million points. */
    private record Cpu(DevStack stack, java.time.Duration own, java.time.Duration broker) {
        Cpu(DevStack stack) {
            this(stack, ProcessHandle.current().info().totalCpuDuration().orElse(java.time.Duration.ZERO), stack.kafka().cpuTime());
        }

        String row(String name, int points) {
            double ownS = (ProcessHandle.current().info().totalCpuDuration().orElse(java.time.Duration.ZERO).minus(own).toMillis()) / 1000.0;
            double brokerS = stack.kafka().cpuTime().minus(broker).toMillis() / 1000.0;
            return String.format("  %-28s tap + clients %6.2f CPU s   broker %6.2f CPU s", name, ownS * 1e6 / points, brokerS * 1e6 / points);
        }
    }

    private static String[] row(String name, int points, long startNanos) {
        double seconds = (System.nanoTime() - startNanos) / 1e9;
        return new String[] {name, String.format("%,d", points), String.format("%,.0f", points / seconds)};
    }

    private static double rate(String[] row) {
        return Double.parseDouble(row[2].replace(",", ""));
    }

    /** Sends the points over {@code connections} telnet connections at once; returns when each has had its {@code version} answer. */
    private static void telnet(int port, String metric, int points, int connections) {
        List<CompletableFuture<Void>> all = new ArrayList<>();
        for (int c = 0; c < connections; c++) {
            int conn = c;
            all.add(CompletableFuture.runAsync(() -> {
                try (Socket socket = new Socket("127.0.0.1", port)) {
                    OutputStream out = socket.getOutputStream();
                    StringBuilder chunk = new StringBuilder(1 << 20);
                    for (int i = conn; i < points; i += connections) {
                        chunk.append("put ").append(metric).append(' ').append(T0 + i / 200).append(' ').append(i % 1000)
                                .append(" host=web").append(i % 200).append(" dc=lga\n");
                        if (chunk.length() > (1 << 20) - 200) {
                            out.write(chunk.toString().getBytes(StandardCharsets.ISO_8859_1));
                            chunk.setLength(0);
                        }
                    }
                    chunk.append("version\n");
                    out.write(chunk.toString().getBytes(StandardCharsets.ISO_8859_1));
                    out.flush();
                    BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.ISO_8859_1));
                    for (String line = in.readLine(); line != null; line = in.readLine()) {
                        if (line.startsWith("net.opentsdb")) {
                            return;
                        }
                    }
                    throw new IllegalStateException("closed before the version answer");
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }));
        }
        all.forEach(CompletableFuture::join);
    }

    /** POSTs the points as arrays of 500 over {@code clients} keep-alive connections at once. */
    private static void http(TsdClient client, String metric, int points, int clients) {
        List<CompletableFuture<Void>> all = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            int conn = c;
            all.add(CompletableFuture.runAsync(() -> {
                for (int from = conn * 500; from < points; from += 500 * clients) {
                    StringBuilder body = new StringBuilder("[");
                    for (int i = from; i < Math.min(points, from + 500); i++) {
                        body.append(i == from ? "" : ",").append("{\"metric\":\"").append(metric).append("\",\"timestamp\":").append(T0 + i / 200)
                                .append(",\"value\":").append(i % 1000).append(",\"tags\":{\"host\":\"web").append(i % 200).append("\",\"dc\":\"lga\"}}");
                    }
                    TsdClient.Response response = client.post("/api/put", body.append(']').toString(), false);
                    if (response.status() != 204) {
                        throw new IllegalStateException("HTTP " + response.status() + ": " + response.body());
                    }
                }
            }));
        }
        all.forEach(CompletableFuture::join);
    }

    private static void awaitPublished(Tap tap, int points) throws InterruptedException {
        long deadline = System.nanoTime() + 600_000_000_000L;
        while (tap.metrics().publishedCount() < points) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("Kafka acknowledged " + tap.metrics().publishedCount() + " of " + points + " points in 10 min");
            }
            Thread.sleep(20);
        }
    }
}
