package io.rewind.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * A local single-node VictoriaMetrics (Debian's {@code victoria-metrics} package) to compare sizes with: started on its own
 * data directory, fed the put lines, then flushed and force-merged as a long-running node's data ends up, and measured on
 * disk. The lines go to its OpenTSDB HTTP listener ({@code /api/put}, the same points as JSON): its telnet listener in the
 * packaged 1.79 takes every timestamp for seconds and drops those in milliseconds as too far in the future.
 */
final class VictoriaMetrics implements AutoCloseable {
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private final Process process;
    private final Path dir;
    private final int httpPort;
    private final int putPort;

    private VictoriaMetrics(Process process, Path dir, int httpPort, int putPort) {
        this.process = process;
        this.dir = dir;
        this.httpPort = httpPort;
        this.putPort = putPort;
    }

    /** The binary on the PATH, if the package is installed. */
    static Optional<Path> binary() {
        for (String entry : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
            Path candidate = Path.of(entry, "victoria-metrics");
            if (Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    static VictoriaMetrics start(Path binary, Path dir) throws Exception {
        Files.createDirectories(dir);
        int http = io.rewind.devstack.Ports.free();
        int put = io.rewind.devstack.Ports.free();
        Process process = new ProcessBuilder(binary.toString(), "-storageDataPath=" + dir.resolve("data"), "-retentionPeriod=100y",
                "-httpListenAddr=127.0.0.1:" + http, "-opentsdbHTTPListenAddr=127.0.0.1:" + put, "-loggerLevel=ERROR",
                "-selfScrapeInterval=0")
                .redirectErrorStream(true).redirectOutput(dir.resolve("victoria-metrics.log").toFile()).start();
        VictoriaMetrics vm = new VictoriaMetrics(process, dir, http, put);
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (true) {
            try {
                if (vm.get("/health").statusCode() == 200) {
                    return vm;
                }
            } catch (IOException notYet) {
                // starting
            }
            if (!process.isAlive() || System.nanoTime() > deadline) {
                vm.close();
                throw new IllegalStateException("VictoriaMetrics did not start: see " + dir.resolve("victoria-metrics.log"));
            }
            Thread.sleep(50);
        }
    }

    /** Puts the points of these put lines, as OpenTSDB's HTTP /api/put takes them, a thousand a request. */
    void put(CharSequence lines) throws Exception {
        StringBuilder body = new StringBuilder();
        int inBody = 0;
        int start = 0;
        for (int i = 0; i < lines.length(); i++) {
            if (lines.charAt(i) != '\n') {
                continue;
            }
            String[] words = lines.subSequence(start, i).toString().split(" ");
            start = i + 1;
            body.append(inBody == 0 ? "[" : ",").append("{\"metric\":\"").append(words[1]).append("\",\"timestamp\":").append(words[2])
                    .append(",\"value\":").append(words[3]).append(",\"tags\":{");
            for (int w = 4; w < words.length; w++) {
                int eq = words[w].indexOf('=');
                body.append(w == 4 ? "" : ",").append('"').append(words[w], 0, eq).append("\":\"").append(words[w].substring(eq + 1)).append('"');
            }
            body.append("}}");
            if (++inBody == 1_000) {
                post(body.append(']'));
                body.setLength(0);
                inBody = 0;
            }
        }
        if (inBody > 0) {
            post(body.append(']'));
        }
    }

    private void post(CharSequence body) throws Exception {
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + putPort + "/api/put"))
                .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() / 100 != 2) {
            throw new IllegalStateException("VictoriaMetrics refused a put: " + response.statusCode() + " " + response.body());
        }
    }

    /**
     * Waits until it holds all {@code points} samples, flushes them to disk and merges them as a long-running node's end up:
     * done when every sample is in one part of storage (the datasets fall in one monthly partition) and no merge runs.
     */
    void settle(long points) throws Exception {
        long deadline = System.nanoTime() + 600_000_000_000L;
        boolean merging = false;
        while (true) {
            String[] metrics = get("/metrics").body().split("\n");
            if (metric(metrics, "vm_rows_ignored_total") > 0) {
                throw new IllegalStateException("VictoriaMetrics ignored " + metric(metrics, "vm_rows_ignored_total") + " points: see its log in "
                        + dir);
            }
            double stored = metric(metrics, "vm_rows{type=\"storage/small\"}") + metric(metrics, "vm_rows{type=\"storage/big\"}");
            double parts = metric(metrics, "vm_parts{type=\"storage/small\"}") + metric(metrics, "vm_parts{type=\"storage/big\"}");
            double active = metric(metrics, "vm_active_merges{type=\"storage/small\"}")
                    + metric(metrics, "vm_active_merges{type=\"storage/big\"}");
            if (stored >= points && !merging) {
                get("/internal/force_flush");
                get("/internal/force_merge");
                merging = true;
            } else if (merging && parts == 1 && active == 0) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("VictoriaMetrics did not settle: " + stored + " of " + points + " points stored, in " + parts
                        + " parts");
            }
            Thread.sleep(200);
        }
    }

    /** Bytes of the samples (its {@code data/data} directory) and of its index ({@code data/indexdb}). */
    long[] bytes() throws IOException {
        return new long[] {size(dir.resolve("data").resolve("data")), size(dir.resolve("data").resolve("indexdb"))};
    }

    private static long size(Path root) throws IOException {
        if (!Files.exists(root)) {
            return 0;
        }
        try (Stream<Path> files = Files.walk(root)) {
            return files.filter(Files::isRegularFile).mapToLong(f -> f.toFile().length()).sum();
        }
    }

    /** The sum of a metric's samples in a /metrics page: by its name, or by its name and labels as they are written. */
    private static double metric(String[] metrics, String name) {
        double sum = 0;
        for (String line : metrics) {
            boolean labelled = name.contains("{");
            if (labelled ? line.startsWith(name + " ") : line.startsWith(name + " ") || line.startsWith(name + "{")) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return sum;
    }

    private HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + path)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }
}
