package io.rewind.quickstart;

import io.rewind.devstack.TsdClient;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * What collectors send, through one address (the tap's), one tick per second of event time:
 * <ul>
 * <li>{@value #TELNET_HOSTS} hosts like tcollector, each on its own telnet connection: CPU jiffies
 * (integer counters), the load average (a float gauge), network bytes with millisecond timestamps
 * written the telnet way ({@code 1763726400.250});</li>
 * <li>{@value #HTTP_HOSTS} application hosts like scollector, each posting one gzip'ed JSON array per
 * tick: memory (integers), CPU percent and latencies (floats, some as quoted strings), request and
 * error counters, all with millisecond timestamps.</li>
 * </ul>
 * Tick {@code k} carries the event time {@code startMs + k s} and is sent once the wall clock reaches
 * it. Seeded: the same values on every run. {@link #incident} plays a bad deploy that overwrites the
 * load average of every host, back to the first tick, with garbage.
 */
final class Workload implements AutoCloseable {
    static final int TELNET_HOSTS = 20;
    static final int HTTP_HOSTS = 6;
    static final int CPUS = 4;
    static final String[] ENDPOINTS = {"login", "search", "checkout"};
    /** The metric the incident overwrites: a float gauge, so garbage and good values are OpenTSDB cells of the same kind. */
    static final String DAMAGED_METRIC = "sys.load.1m";
    static final List<String> METRICS = List.of("sys.cpu.user", "sys.cpu.system", DAMAGED_METRIC, "proc.net.bytes", "os.mem.used",
            "os.cpu.pct", "app.http.latency.ms", "app.http.requests", "app.http.errors");
    static final int SERIES = TELNET_HOSTS * (2 * CPUS + 1 + 2) + HTTP_HOSTS * (2 + 3 * ENDPOINTS.length);
    private static final long TICK_MS = 1000;

    private final String host;
    private final int port;
    private final long startMs;
    private final List<Telnet> telnet = new ArrayList<>();
    private final TsdClient http;
    private final Random random = new Random(20261121);
    private final long[][] cpuCounters = new long[TELNET_HOSTS][2 * CPUS];
    private final long[][] netCounters = new long[TELNET_HOSTS][2];
    private final double[] load = new double[TELNET_HOSTS];
    private final long[][] requestCounters = new long[HTTP_HOSTS][2 * ENDPOINTS.length];
    private Telnet badWriter;
    private int ticks;
    private long telnetPoints;
    private long httpPoints;
    private long httpRequests;
    private long garbagePoints;

    /** Opens the collectors' telnet connections to {@code host:port}; the first tick's event time is {@code startMs} (a whole second). */
    Workload(String host, int port, long startMs) {
        this.host = host;
        this.port = port;
        this.startMs = startMs;
        this.http = new TsdClient(host, port);
        for (int h = 0; h < TELNET_HOSTS; h++) {
            telnet.add(new Telnet(host, port));
            load[h] = 0.2 + random.nextDouble() * 3;
            for (int c = 0; c < cpuCounters[h].length; c++) {
                cpuCounters[h][c] = random.nextInt(50_000_000);
            }
        }
    }

    long startMs() {
        return startMs;
    }

    /** Event time of the next tick. */
    long nextTickMs() {
        return startMs + ticks * TICK_MS;
    }

    int ticks() {
        return ticks;
    }

    /** Sends the next tick of every collector, after waiting for its time; with {@code incident}, the bad writer's garbage too. */
    void tick(boolean incident) throws InterruptedException {
        long due = nextTickMs();
        long wait = due - System.currentTimeMillis();
        if (wait > 0) {
            Thread.sleep(wait); // pacing: collectors send once per interval
        }
        long seconds = due / 1000;
        if (incident && badWriter == null) {
            // The bad deploy first rewrites the metric's history, back to the first tick. Handled before this tick's good
            // points are sent, so that the archive as of the millisecond before its first line holds exactly what production
            // held: what 'rewind changes' finds and suggests restoring.
            badWriter = new Telnet(host, port);
            overwrite(0, ticks);
            List<String> errors = badWriter.awaitHandled();
            if (!errors.isEmpty()) {
                throw new IllegalStateException("The TSD refused the bad writer's lines: " + errors.subList(0, Math.min(5, errors.size())));
            }
        }
        for (int h = 0; h < TELNET_HOSTS; h++) {
            telnet.get(h).send(telnetLines(h, seconds));
            telnetPoints += 2 * CPUS + 3;
        }
        for (int h = 0; h < HTTP_HOSTS; h++) {
            String body = httpBody(h, due + 137L * (h + 1) % 1000);
            TsdClient.Response response = http.post("/api/put", body, true);
            if (response.status() != 204) {
                throw new IllegalStateException("The tap answered HTTP " + response.status() + " to a collector's batch: " + response.body());
            }
            httpPoints += 2 + 3 * ENDPOINTS.length;
            httpRequests++;
        }
        if (incident) {
            overwrite(ticks, ticks + 1); // and goes on writing garbage
        }
        ticks++;
    }

    private String telnetLines(int h, long seconds) {
        StringBuilder lines = new StringBuilder(2048);
        String tags = hostTags(h);
        for (int c = 0; c < CPUS; c++) {
            cpuCounters[h][c] += 20 + random.nextInt(60);
            cpuCounters[h][CPUS + c] += 5 + random.nextInt(20);
            lines.append("put sys.cpu.user ").append(seconds).append(' ').append(cpuCounters[h][c]).append(tags).append(" cpu=").append(c).append('\n');
            lines.append("put sys.cpu.system ").append(seconds).append(' ').append(cpuCounters[h][CPUS + c]).append(tags).append(" cpu=").append(c)
                    .append('\n');
        }
        load[h] = Math.max(0.01, load[h] + random.nextGaussian() * 0.1);
        lines.append("put ").append(DAMAGED_METRIC).append(' ').append(seconds).append(' ').append(gauge(load[h])).append(tags).append('\n');
        String[] directions = {"in", "out"};
        for (int d = 0; d < 2; d++) {
            netCounters[h][d] += 10_000 + random.nextInt(500_000);
            lines.append("put proc.net.bytes ").append(seconds).append(".250 ").append(netCounters[h][d]).append(tags).append(" direction=")
                    .append(directions[d]).append('\n');
        }
        return lines.toString();
    }

    /** A telnet host's tags, the same for its collector and for the bad writer, whose garbage must land in the same series. */
    private static String hostTags(int h) {
        return String.format(" host=web%02d dc=%s", h + 1, h % 2 == 0 ? "lga" : "sjc");
    }

    private String httpBody(int h, long ms) {
        String host = String.format("app%02d", h + 1);
        StringBuilder body = new StringBuilder("[");
        point(body, "os.mem.used", ms, Long.toString(2_000_000_000L + random.nextInt(500_000_000)), host, null);
        point(body, "os.cpu.pct", ms, twoDecimals(random.nextDouble() * 100), host, null);
        for (int e = 0; e < ENDPOINTS.length; e++) {
            requestCounters[h][e] += 50 + random.nextInt(200);
            requestCounters[h][ENDPOINTS.length + e] += random.nextInt(3);
            // scollector-like clients send some values as strings; OpenTSDB parses them like numbers.
            point(body, "app.http.latency.ms", ms, '"' + twoDecimals(5 + random.nextDouble() * 200) + '"', host, ENDPOINTS[e]);
            point(body, "app.http.requests", ms, Long.toString(requestCounters[h][e]), host, ENDPOINTS[e]);
            point(body, "app.http.errors", ms, Long.toString(requestCounters[h][ENDPOINTS.length + e]), host, ENDPOINTS[e]);
        }
        return body.append(']').toString();
    }

    private static void point(StringBuilder body, String metric, long ms, String value, String host, String endpoint) {
        if (body.length() > 1) {
            body.append(',');
        }
        body.append("{\"metric\":\"").append(metric).append("\",\"timestamp\":").append(ms).append(",\"value\":").append(value)
                .append(",\"tags\":{\"host\":\"").append(host).append("\",\"dc\":\"iad\"");
        if (endpoint != null) {
            body.append(",\"endpoint\":\"").append(endpoint).append('"');
        }
        body.append("}}");
    }

    /** The bad writer's garbage for every host's load average, ticks {@code [from, to)}. */
    private void overwrite(int from, int to) {
        StringBuilder lines = new StringBuilder();
        for (int k = from; k < to; k++) {
            long seconds = (startMs + k * TICK_MS) / 1000;
            for (int h = 0; h < TELNET_HOSTS; h++) {
                lines.append("put ").append(DAMAGED_METRIC).append(' ').append(seconds).append(' ').append(gauge(9000 + random.nextDouble() * 999))
                        .append(hostTags(h)).append('\n');
                garbagePoints++;
            }
        }
        badWriter.send(lines.toString());
    }

    /**
     * The load average with two decimals that a float cannot hold exactly (never .00, .25, .50, .75),
     * so OpenTSDB stores every value of the metric, good or garbage, as an 8-byte double in the same
     * cell: the garbage overwrites the good value. (A 4-byte float next to an 8-byte double at one
     * timestamp would be two cells, which OpenTSDB refuses to query: "Duplicate timestamp".)
     */
    private static String gauge(double value) {
        long cents = Math.round(value * 100);
        if (cents % 25 == 0) {
            cents++;
        }
        return String.format(Locale.ROOT, "%d.%02d", cents / 100, cents % 100);
    }

    private static String twoDecimals(double value) {
        return String.format(Locale.ROOT, "%.2f", value);
    }

    /**
     * Returns once the TSD behind the tap has handled every line sent so far: each telnet connection
     * asks for {@code version} and reads up to its answer (HTTP batches are answered one by one
     * already). Fails if the TSD answered any line with an error.
     */
    void barrier() {
        List<Telnet> all = new ArrayList<>(telnet);
        if (badWriter != null) {
            all.add(badWriter);
        }
        for (Telnet connection : all) {
            List<String> errors = connection.awaitHandled();
            if (!errors.isEmpty()) {
                throw new IllegalStateException("The TSD refused collector lines: " + errors.subList(0, Math.min(5, errors.size())));
            }
        }
    }

    long telnetPoints() {
        return telnetPoints;
    }

    long httpPoints() {
        return httpPoints;
    }

    long httpRequests() {
        return httpRequests;
    }

    long garbagePoints() {
        return garbagePoints;
    }

    long pointsSent() {
        return telnetPoints + httpPoints + garbagePoints;
    }

    /** The good collectors' points of ticks {@code [0, ticks)}: one per series and tick. */
    static long goodPoints(int ticks) {
        return (long) SERIES * ticks;
    }

    @Override
    public void close() {
        telnet.forEach(Telnet::close);
        if (badWriter != null) {
            badWriter.close();
        }
    }

    /** One collector's telnet connection. */
    private static final class Telnet implements AutoCloseable {
        private final Socket socket = new Socket();
        private final OutputStream out;
        private final BufferedReader in;

        Telnet(String host, int port) {
            try {
                socket.connect(new InetSocketAddress(host, port), 5_000);
                socket.setSoTimeout(60_000);
                out = socket.getOutputStream();
                in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.ISO_8859_1));
            } catch (IOException e) {
                throw new UncheckedIOException("Cannot connect a collector to " + host + ":" + port + ": " + e.getMessage(), e);
            }
        }

        void send(String lines) {
            try {
                out.write(lines.getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
            } catch (IOException e) {
                throw new UncheckedIOException("A collector's telnet connection failed: " + e.getMessage(), e);
            }
        }

        /** Sends {@code version} and reads up to its banner; returns the lines before it (the TSD's errors). */
        List<String> awaitHandled() {
            send("version\n");
            List<String> before = new ArrayList<>();
            try {
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                    if (line.startsWith("net.opentsdb")) {
                        // The banner has more lines: built at, by whom.
                        in.readLine();
                        return before;
                    }
                    before.add(line);
                }
            } catch (IOException e) {
                throw new UncheckedIOException("A collector's telnet connection failed: " + e.getMessage(), e);
            }
            throw new IllegalStateException("The tap closed a collector's connection; lines before: " + before);
        }

        @Override
        public void close() {
            try {
                socket.close();
            } catch (IOException e) {
                // closing: nothing to do
            }
        }
    }
}
