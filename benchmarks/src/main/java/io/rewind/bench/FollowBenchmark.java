package io.rewind.bench;

import io.rewind.cli.RewindCli;
import io.rewind.devstack.DevStack;
import io.rewind.devstack.Tsd;
import io.rewind.devstack.process.Await;
import io.rewind.tap.Tap;
import io.rewind.tap.config.TapConfig;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The delay {@code restore --follow} adds between production and staging: telnet points at a steady rate into a tap
 * (standalone: the production TSD is not on the path from the tap to staging), the follower as its own process writing
 * them into a staging TSD over HTTP, and the time from the tap's receipt of each point to the staging TSD's
 * acknowledgement (the follower's {@code rewind_follow_delivery_seconds}, over the last minute, sampled every 5 s of the
 * measured stretch). Also the rate staging took, the largest lag seen, and the CPU each process spent per million points.
 *
 * <p>{@code bin/rewind bench follow [points/s] [seconds measured] [follower options ...]}: by default 50,000 points/s,
 * 60 s measured after 90 s of warm-up (longer than the minute the percentiles cover); options after the counts go to the follower, e.g. {@code --linger 100ms}.
 */
public final class FollowBenchmark {
    private static final int SERIES = 5_000;
    private static final int TICK_MS = 10;
    /** Longer than the minute the follower's percentiles cover, so that the measured ones hold no warm-up. */
    private static final Duration WARM = Duration.ofSeconds(90);
    private static final Pattern ADMIN = Pattern.compile("metrics on http://127\\.0\\.0\\.1:(\\d+)/metrics");

    private FollowBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int rate = args.length > 0 ? Integer.parseInt(args[0]) : 50_000;
        int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 60;
        List<String> followerOptions = args.length > 2 ? List.of(args).subList(2, args.length) : List.of();
        Path dir = Path.of(".rewind", "bench-follow").toAbsolutePath();
        System.out.printf("Starting Kafka, HBase and a staging TSD in %s ...%n", dir);
        try (DevStack stack = DevStack.start(dir, List.of("staging"), true)) {
            Tsd staging = stack.tsd("staging");
            String topic = "bench-follow";
            stack.kafka().createTopic(topic, 4, Map.of());
            Path archive = Files.createDirectories(dir.resolve("archive")); // empty: everything comes from the topic
            List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx1g", "-cp", System.getProperty("java.class.path"), RewindCli.class.getName(), "restore", "--archive",
                    archive.toString(), "--topic", topic, "--from", "-1h", "--bootstrap-servers", stack.kafka().bootstrapServers(),
                    "--follow", "--group", "bench-follow", "--target", staging.httpUrl().toString(), "--admin-host", "127.0.0.1",
                    "--admin-port", "0", "--rejects", dir.resolve("follow.rejects.jsonl").toString(), "--fresh"));
            command.addAll(followerOptions);
            Path log = dir.resolve("follower.log");
            Map<String, String> tapSettings = TapConfig.localSettings(stack.kafka().bootstrapServers(), topic, dir.resolve("spool"), "");
            try (Tap tap = Tap.start(TapConfig.of(tapSettings))) {
                Process follower = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
                try {
                    Await.until("the follower to start following", Duration.ofMinutes(2), () -> {
                        if (!follower.isAlive()) {
                            throw new IllegalStateException("the follower exited; its log is " + log);
                        }
                    }, () -> ADMIN.matcher(Files.readString(log)).find());
                    Matcher port = ADMIN.matcher(Files.readString(log));
                    port.find();
                    measure(rate, seconds, tap, follower, staging, Integer.parseInt(port.group(1)), followerOptions);
                } finally {
                    follower.destroy();
                    follower.waitFor(60, TimeUnit.SECONDS);
                }
            }
        }
    }

    private static void measure(int rate, int seconds, Tap tap, Process follower, Tsd staging, int adminPort, List<String> options)
            throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong sent = new AtomicLong();
        Thread load = new Thread(() -> paced(tap.port(), rate, stop, sent), "bench-follow-load");
        load.start();
        System.out.printf("Writing %,d points/s through the tap; %d s of warm-up ...%n", rate, WARM.toSeconds());
        Thread.sleep(WARM.toMillis()); // the benchmark's warm-up: a fixed stretch of load before the measured one
        Map<String, Double> start = scrape(adminPort);
        long sentAtStart = sent.get();
        long followerCpu = cpuMs(follower.toHandle());
        long stagingCpu = staging.cpuTime().toMillis();
        long began = System.nanoTime();
        double worstP99 = 0;
        double worstP999 = 0;
        double worstLag = 0;
        List<String> samples = new ArrayList<>();
        for (int i = 0; i < seconds / 5; i++) {
            Thread.sleep(5_000); // one sample of the follower's figures every 5 s of steady load
            Map<String, Double> m = scrape(adminPort);
            double p99 = m.getOrDefault("rewind_follow_delivery_seconds{quantile=\"0.99\"}", Double.NaN);
            double p999 = m.getOrDefault("rewind_follow_delivery_seconds{quantile=\"0.999\"}", Double.NaN);
            worstP99 = Math.max(worstP99, p99);
            worstP999 = Math.max(worstP999, p999);
            worstLag = Math.max(worstLag, m.getOrDefault("rewind_follow_lag_seconds", 0.0));
            samples.add(String.format("%.2f", p99));
        }
        double elapsed = (System.nanoTime() - began) / 1e9;
        Map<String, Double> end = scrape(adminPort);
        long offered = sent.get() - sentAtStart;
        stop.set(true);
        load.join();
        double written = end.get("rewind_follow_points_written_total") - start.get("rewind_follow_points_written_total");
        double followerCpuS = (cpuMs(follower.toHandle()) - followerCpu) / 1000.0;
        double stagingCpuS = (staging.cpuTime().toMillis() - stagingCpu) / 1000.0;
        System.out.println();
        System.out.printf("restore --follow, tap (standalone) -> Kafka -> follower -> staging TSD over HTTP%s, %d s measured%n",
                options.isEmpty() ? "" : " " + String.join(" ", options), Math.round(elapsed));
        System.out.printf("  offered            %,10.0f points/s through the tap (%,d series)%n", offered / elapsed, SERIES);
        System.out.printf("  written to staging %,10.0f points/s%n", written / elapsed);
        System.out.printf("  receipt -> staging ack: p50 %.3f s, p99 %.3f s (worst 5 s sample %.3f s), p99.9 worst %.3f s%n",
                end.getOrDefault("rewind_follow_delivery_seconds{quantile=\"0.5\"}", Double.NaN),
                end.getOrDefault("rewind_follow_delivery_seconds{quantile=\"0.99\"}", Double.NaN), worstP99, worstP999);
        System.out.printf("  p99 every 5 s: %s%n", String.join(" ", samples));
        System.out.printf("  lag, worst sample: %.1f s; retries %.0f, rejected %.0f%n", worstLag,
                end.getOrDefault("rewind_follow_write_retries_total", 0.0), end.getOrDefault("rewind_follow_points_rejected_total", 0.0));
        System.out.printf("  CPU per million points: follower %.2f s, staging TSD %.2f s (this machine: %d cores, shared by every process)%n",
                followerCpuS / written * 1e6, stagingCpuS / written * 1e6, Runtime.getRuntime().availableProcessors());
    }

    /** Telnet puts at {@code rate} points/s in 10 ms ticks; each series gets a point every 100 ms, stamped with its tick. */
    private static void paced(int port, int rate, AtomicBoolean stop, AtomicLong sent) {
        int perTick = Math.max(1, rate * TICK_MS / 1000);
        try (Socket socket = new Socket("127.0.0.1", port)) {
            OutputStream out = socket.getOutputStream();
            long next = System.nanoTime();
            long cursor = 0;
            StringBuilder lines = new StringBuilder(perTick * 64);
            while (!stop.get()) {
                long ms = System.currentTimeMillis();
                lines.setLength(0);
                for (int i = 0; i < perTick; i++, cursor++) {
                    int series = (int) (cursor % SERIES);
                    lines.append("put bench.follow ").append(ms).append(' ').append(cursor % 1000).append(" host=h").append(series % 1000)
                            .append(" dc=d").append(series / 1000).append('\n');
                }
                out.write(lines.toString().getBytes(StandardCharsets.US_ASCII));
                out.flush();
                sent.addAndGet(perTick);
                next += TimeUnit.MILLISECONDS.toNanos(TICK_MS);
                long wait = next - System.nanoTime();
                if (wait > 0) {
                    TimeUnit.NANOSECONDS.sleep(wait); // the pace of the load
                }
            }
        } catch (Exception e) {
            throw new IllegalStateException("the load generator failed: " + e.getMessage(), e);
        }
    }

    private static long cpuMs(ProcessHandle process) {
        return process.info().totalCpuDuration().map(Duration::toMillis).orElse(0L);
    }

    /** The follower's metrics: each series line by its name and labels as printed. */
    private static Map<String, Double> scrape(int port) throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + port + "/metrics")).build(), HttpResponse.BodyHandlers.ofString());
        Map<String, Double> values = new HashMap<>();
        for (String line : response.body().split("\n")) {
            if (line.startsWith("rewind_follow_")) {
                int space = line.lastIndexOf(' ');
                values.put(line.substring(0, space), Double.parseDouble(line.substring(space + 1)));
            }
        }
        return values;
    }
}
