package io.rewind.bench;

import io.rewind.devstack.DevServer;
import io.rewind.devstack.DevStack;
import io.rewind.devstack.Tsd;
import io.rewind.tap.Tap;
import io.rewind.tap.config.TapConfig;
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
 * <p>{@code bin/rewind bench tap [standalone points] [tsd points] [pin] [key=value ...]}: 0 standalone
 * points runs only the part in front of the TSD, 0 TSD points only the standalone part; tap settings
 * after the counts apply to every tap of the run, e.g. {@code kafka.batch.size=262144}; {@code pin}
 * keeps the TSD and HBase on CPU 0 and the tap, its load generators and Kafka on CPU 1.
 */
public final class TapBenchmark {
    /**
     * The points' first timestamp: the start of the current hour, as collectors write now. The TSD compacts a row
     * once it is an hour old, so no run pays during the benchmark for compacting what an earlier run wrote; with
     * timestamps long past, every row written is compacted again within seconds, whichever run happens to be on.
     */
    private static final long T0 = System.currentTimeMillis() / 1000 / 3600 * 3600;
    private static final Map<String, String> EXTRA = new java.util.LinkedHashMap<>();
    private static final int ROUNDS = 6;
    /** Points of an unmeasured round, per path (the measured ones have the TSD points / {@link #ROUNDS}). */
    private static final int WARM_ROUND = 100_000;
    /**
     * The rate of the paced standalone telnet run: above what the TSD here takes (about 150k points a second direct), below
     * what the tap's producer sends, so no point needs the spool.
     */
    private static final int PACED_RATE = 250_000;
    /**
     * HTTP clients at once in front of the TSD, as several collectors post to one TSD: enough that the TSD always has a
     * request to work on, so the figure is what the TSD can take, not one client's round trip.
     */
    private static final int HTTP_CLIENTS = 4;
    /**
     * The load generators' threads, named so that their CPU time can be told from the tap's in the same JVM: a pool that
     * lives as long as the benchmark, so its threads' CPU time is still there to read after each stretch.
     */
    private static final java.util.concurrent.ExecutorService LOAD = java.util.concurrent.Executors.newFixedThreadPool(8, new java.util.concurrent.ThreadFactory() {
        private final java.util.concurrent.atomic.AtomicInteger n = new java.util.concurrent.atomic.AtomicInteger();

        @Override
        public Thread newThread(Runnable r) {
            Thread t = new Thread(r, CpuMeter.LOAD_THREAD_PREFIX + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        }
    });
    /**
     * At most this many unmeasured rounds before a standalone run. A tap is measured as it runs after a while: until the
     * JIT is nearly idle, which takes tens of rounds for HTTP (a round of 200k points). Measured with the JIT still busy
     * (6 rounds), HTTP cost 1.9 - 2.4 CPU s per million points; warm, about 1.1.
     */
    private static final int STANDALONE_WARM_ROUNDS = 40;
    /** The JIT compilers' time: a column of the rows, and what tells the warm-up when to stop. */
    private static final CpuMeter.Source JIT = CpuMeter.jit("JIT compiling");

    private TapBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int standalonePoints = args.length > 0 ? Integer.parseInt(args[0]) : 2_000_000;
        int tsdPoints = args.length > 1 ? Integer.parseInt(args[1]) : 1_200_000;
        boolean pin = false;
        for (int i = 2; i < args.length; i++) {
            if (args[i].equals("pin")) {
                pin = true;
                continue;
            }
            String[] setting = args[i].split("=", 2);
            EXTRA.put(setting[0], setting.length > 1 ? setting[1] : "");
        }
        if (!EXTRA.isEmpty()) {
            System.out.println("Tap settings for every run: " + EXTRA);
        }
        if (standalonePoints > 0) {
            parseAndEncode();
        }
        Path dir = Path.of(".rewind", "bench-tap").toAbsolutePath();
        System.out.printf("Starting Kafka, HBase and a TSD in %s ...%n", dir);
        try (DevStack stack = DevStack.start(dir, List.of("bench"), true)) {
            Tsd tsd = stack.tsd("bench");
            if (pin) {
                // The TSD and HBase get CPU 0; this JVM (the tap and the load generators) and the broker CPU 1: the tap's
                // and Kafka's work then does not come out of the TSD's CPU, as where the TSD has cores to spare.
                boolean pinned = tsd.pinTo("0") && stack.hbase().pinTo("0") && stack.kafka().pinTo("1")
                        && DevServer.pin(ProcessHandle.current().pid(), "1");
                System.out.println(pinned ? "Pinned: the TSD and HBase on CPU 0; the tap, the load generators and Kafka on CPU 1"
                        : "Could not pin the processes to CPUs (taskset): running unpinned");
            }
            List<String[]> rows = new ArrayList<>();
            List<String> cpuRows = new ArrayList<>();
            List<String> frontCpuRows = new ArrayList<>();
            String ratios;
            // Both paths run unmeasured first, until the JIT has compiled them (a tap that has run for a while), then measured.
            int[] n = {0};
            String lingerRatio = "";
            if (standalonePoints > 0) {
                System.out.println("Standalone telnet warm after " + warm(STANDALONE_WARM_ROUNDS, () -> {
                    for (String durability : List.of("async", "wal")) {
                        standaloneTelnet(durability, 0, Map.of(), "bench-tap-warm-" + n[0]++, standalonePoints / 4, stack, dir, null, null);
                    }
                }));
                for (String durability : List.of("async", "wal")) {
                    standaloneTelnet(durability, 0, Map.of(), "bench-tap-" + durability, standalonePoints, stack, dir, rows, cpuRows);
                }
                // At a rate the producer keeps up with (above what a TSD takes here): the path of a tap in front of a TSD, where
                // no point needs the spool; and the same with a 5 ms linger, to show what the telnet producer's 25 ms saves.
                // Without the spool the path compiles anew: warm it too, a quarter of a second's points a round.
                System.out.println("Paced telnet warm after " + warm(STANDALONE_WARM_ROUNDS, () -> standaloneTelnet("async", PACED_RATE,
                        Map.of(), "bench-tap-paced-warm-" + n[0]++, PACED_RATE / 4, stack, dir, null, null)));
                CpuMeter paced = standaloneTelnet("async", PACED_RATE, Map.of(), "bench-tap-paced", standalonePoints / 2, stack, dir, rows, cpuRows);
                if (!EXTRA.containsKey("kafka.linger.ms")) {
                    CpuMeter shortLinger = standaloneTelnet("async", PACED_RATE, Map.of("kafka.linger.ms", "5"), "bench-tap-paced-5ms",
                            standalonePoints / 2, stack, dir, rows, cpuRows);
                    lingerRatio = String.format("paced telnet, the tap's 25 ms linger / a 5 ms linger, CPU per point: tap %.2fx, broker %.2fx%n",
                            paced.cpuPerMillion(0) / shortLinger.cpuPerMillion(0), paced.cpuPerMillion(2) / shortLinger.cpuPerMillion(2));
                }
            }
            String bareRatio = "";
            if (standalonePoints > 0) {
                double telnetRate = pointsPerSecond(rows, "telnet, standalone -> Kafka, durability=async");
                double bareRate = bareProducer(standalonePoints, stack, dir, rows, cpuRows);
                bareRatio = String.format("standalone telnet (async) / a bare Kafka producer sending the same records from this JVM: %.2fx"
                        + " (target >= 0.9)%n", telnetRate / bareRate);
                standaloneHttp(standalonePoints, stack, dir, rows, cpuRows);
            }
            String frontTopic = "bench-tap-front";
            stack.kafka().createTopic(frontTopic, 4, Map.of());
            if (tsdPoints == 0) {
                ratios = "(no run in front of a TSD: its points were 0)";
            } else try (Tap tap = Tap.start(TapConfig.of(settings(stack, frontTopic, dir.resolve("spool-front"), "127.0.0.1:" + tsd.port(), "async")))) {
                int direct = tsd.port();
                int through = tap.port();
                // Direct and through the tap alternate, round after round, so that the TSD's own drift (compactions,
                // HBase flushes, the shared machine) falls on both alike; each figure is the sum over the rounds.
                CpuMeter telnetDirect = front("telnet, direct to the TSD", stack, tsd);
                CpuMeter telnetThrough = front("telnet, through the tap to the TSD", stack, tsd);
                CpuMeter httpDirect = front("HTTP /api/put, direct to the TSD", stack, tsd);
                CpuMeter httpThrough = front("HTTP /api/put, through the tap to the TSD", stack, tsd);
                int perRound = tsdPoints / ROUNDS;
                // Code that runs once per request or per read is compiled fully only after thousands of calls, more than
                // the rounds make: small writes and one-point requests first make that many, direct and through the tap.
                for (int port : List.of(direct, through)) {
                    telnet(port, "bench.warm.telnet", 20_000, 1, 200);
                    http(port, "bench.warm.http", 20_000, 1, 1);
                }
                // Then unmeasured rounds until the JIT has compiled the paths.
                int[] warmRounds = {0};
                System.out.println("Warm after " + warm(12, () -> round(false, warmRounds[0]++, Math.min(perRound, WARM_ROUND), direct, through,
                        telnetDirect, telnetThrough, httpDirect, httpThrough)));
                for (int round = 0; round < ROUNDS; round++) {
                    round(true, round, perRound, direct, through, telnetDirect, telnetThrough, httpDirect, httpThrough);
                }
                for (CpuMeter front : List.of(telnetDirect, telnetThrough, httpDirect, httpThrough)) {
                    rows.add(row(front.name, front));
                    frontCpuRows.add(front.cpuRow());
                }
                ratios = String.format("through the tap / direct, all rounds: telnet %.2f, HTTP %.2f%n"
                        + "through the tap / direct, median of the %d rounds' ratios (lowest-highest): telnet %s, HTTP %s",
                        telnetThrough.pointsPerSecond() / telnetDirect.pointsPerSecond(), httpThrough.pointsPerSecond() / httpDirect.pointsPerSecond(),
                        ROUNDS, medianRatio(telnetThrough, telnetDirect), medianRatio(httpThrough, httpDirect));
            }
            System.out.printf("%n%-48s %12s %14s%n", "run", "points", "points/s");
            rows.forEach(r -> System.out.printf("%-48s %12s %14s%n", r[0], r[1], r[2]));
            System.out.printf("%nCPU per million points, standalone (tap: this JVM but the clients' threads, i.e. the tap's threads, GC and"
                    + " JIT; clients: the load generator's threads; the Kafka broker):%n");
            cpuRows.forEach(System.out::println);
            System.out.print(bareRatio);
            System.out.print(lingerRatio);
            System.out.printf("%nCPU per million points in front of a TSD, %d rounds (this JVM: the clients, and the tap when through it):%n", ROUNDS);
            frontCpuRows.forEach(System.out::println);
            System.out.printf("%n%s%n", ratios);
        }
    }

    /**
     * One round in front of the TSD, measured or not: telnet direct and through the tap, then HTTP; every other round
     * through the tap goes first, so that what a run leaves the TSD and HBase to do (compactions, flushes) falls on
     * each side alike.
     */
    private static void round(boolean measured, int round, int perRound, int direct, int through, CpuMeter telnetDirect, CpuMeter telnetThrough,
            CpuMeter httpDirect, CpuMeter httpThrough) throws Exception {
        String r = measured ? Integer.toString(round) : "warm" + round;
        List<CpuMeter.Work> telnet = new ArrayList<>(List.of(
                () -> telnetDirect.measure(measured, perRound, () -> telnet(direct, "bench.direct.telnet" + r, perRound, 1)),
                () -> telnetThrough.measure(measured, perRound, () -> telnet(through, "bench.tap.telnet" + r, perRound, 1))));
        List<CpuMeter.Work> http = new ArrayList<>(List.of(
                () -> httpDirect.measure(measured, perRound / 2, () -> http(direct, "bench.direct.http" + r, perRound / 2, HTTP_CLIENTS)),
                () -> httpThrough.measure(measured, perRound / 2, () -> http(through, "bench.tap.http" + r, perRound / 2, HTTP_CLIENTS))));
        if (round % 2 == 1) {
            java.util.Collections.reverse(telnet);
            java.util.Collections.reverse(http);
        }
        for (CpuMeter.Work run : telnet) {
            run.run();
        }
        for (CpuMeter.Work run : http) {
            run.run();
        }
    }

    /**
     * The median over the rounds of through / direct, each round's pair measured back to back, with the lowest and highest: a
     * figure that one round's HBase flush or compaction, falling on one side only, does not move.
     */
    private static String medianRatio(CpuMeter through, CpuMeter direct) {
        List<Double> t = through.stretchRates();
        List<Double> d = direct.stretchRates();
        double[] ratios = new double[t.size()];
        for (int i = 0; i < ratios.length; i++) {
            ratios[i] = t.get(i) / d.get(i);
        }
        java.util.Arrays.sort(ratios);
        int n = ratios.length;
        double median = n % 2 == 1 ? ratios[n / 2] : (ratios[n / 2 - 1] + ratios[n / 2]) / 2;
        return String.format("%.2f (%.2f-%.2f)", median, ratios[0], ratios[n - 1]);
    }

    /**
     * The tap's own work on a telnet line, in this thread, without Kafka or sockets: the full parser and the Avro encoder,
     * against the fast path that collectors' lines take, on the same million lines, CPU time per point, best of 4 warm rounds.
     */
    private static void parseAndEncode() {
        io.rewind.schema.wire.SingleObjectWireFormat<io.rewind.schema.Point> format =
                new io.rewind.schema.wire.SingleObjectWireFormat<>(io.rewind.schema.Point.class);
        // Avro's own writer (an encoder not prepared), and the encoder as the tap prepares it, which writes put points itself.
        io.rewind.tap.record.PointEncoder avro = new io.rewind.tap.record.PointEncoder(format);
        io.rewind.tap.record.PointEncoder encoder = new io.rewind.tap.record.PointEncoder(format);
        encoder.prepare();
        io.rewind.tap.protocol.TelnetPutParser parser = new io.rewind.tap.protocol.TelnetPutParser(new io.rewind.tap.protocol.PointRules(8));
        io.rewind.tap.protocol.TelnetPutFastPath fast = new io.rewind.tap.protocol.TelnetPutFastPath(8, format.header());
        int n = 1_000_000;
        byte[][] lines = new byte[n][];
        for (int i = 0; i < n; i++) {
            lines[i] = ("put bench.parse " + (T0 + i / 200) + " " + (i % 1000) + " host=web" + i % 200 + " dc=lga").getBytes(StandardCharsets.ISO_8859_1);
        }
        java.lang.management.ThreadMXBean cpu = java.lang.management.ManagementFactory.getThreadMXBean();
        double withAvro = Double.MAX_VALUE;
        double full = Double.MAX_VALUE;
        double quick = Double.MAX_VALUE;
        long sink = 0;
        for (int round = 0; round < 8; round++) {
            long c0 = cpu.getCurrentThreadCpuTime();
            for (byte[] line : lines) {
                sink += avro.encode(parser.parse(new String(line, StandardCharsets.ISO_8859_1)), 0).value().length;
            }
            long c1 = cpu.getCurrentThreadCpuTime();
            for (byte[] line : lines) {
                sink += encoder.encode(parser.parse(new String(line, StandardCharsets.ISO_8859_1)), 0).value().length;
            }
            long c2 = cpu.getCurrentThreadCpuTime();
            for (byte[] line : lines) {
                sink += fast.encode(line, line.length, 0).value().length;
            }
            long c3 = cpu.getCurrentThreadCpuTime();
            if (round >= 4) {
                withAvro = Math.min(withAvro, (c1 - c0) / (double) n);
                full = Math.min(full, (c2 - c1) / (double) n);
                quick = Math.min(quick, (c3 - c2) / (double) n);
            }
        }
        System.out.printf("Parse and encode a telnet put line, CPU per point (%d bytes encoded): full parser and Avro's writer %.0f ns,"
                + " full parser and the tap's encoder %.0f ns (the path of HTTP points and of lines the fast path leaves), fast path %.0f ns"
                + " (%.1fx Avro's)%n", sink, withAvro, full, quick, withAvro / quick);
    }

    /**
     * Runs {@code round} unmeasured until one leaves the JIT compilers nearly idle (they lag behind on a busy machine), at
     * most {@code maxRounds} times: what is measured next is the steady state of a tap that has run for a while, not its
     * first minute. Returns how many rounds that took and how busy the JIT still was, for the output: the compilers' time is
     * elapsed time, so under a flood that keeps both cores busy it stays above the mark however warm the tap is.
     */
    private static String warm(int maxRounds, CpuMeter.Work round) throws Exception {
        int rounds = 0;
        double compiledShare;
        do {
            long compiledBefore = JIT.cpu().get().toMillis();
            long start = System.nanoTime();
            round.run();
            rounds++;
            compiledShare = (JIT.cpu().get().toMillis() - compiledBefore) / ((System.nanoTime() - start) / 1e6);
        } while (compiledShare > 0.02 && rounds < maxRounds);
        return String.format("%d unmeasured rounds (the JIT compiled for %.1f%% of the last one)", rounds, compiledShare * 100);
    }

    /**
     * One standalone telnet run into a topic of its own, through a tap of its own with {@code more} settings, as fast as
     * the tap reads or at {@code pace} points a second; its rows added when {@code rows} is given. Returns its meter.
     */
    private static CpuMeter standaloneTelnet(String durability, int pace, Map<String, String> more, String topic, int points, DevStack stack,
            Path dir, List<String[]> rows, List<String> cpuRows) throws Exception {
        stack.kafka().createTopic(topic, 4, Map.of());
        String name = "telnet, durability=" + durability + (pace > 0 ? String.format(", paced at %,d/s", pace) : "")
                + (more.isEmpty() ? "" : ", " + more.entrySet().iterator().next());
        Map<String, String> settings = settings(stack, topic, dir.resolve("spool-" + topic), "", durability);
        settings.putAll(more);
        try (Tap tap = Tap.start(TapConfig.of(settings))) {
            CpuMeter meter = standalone(name, stack);
            Map<String, Long> threadsBefore = CpuMeter.byThread();
            meter.measure(points, () -> {
                telnet(tap.port(), "bench.standalone." + durability, points, 2, pace > 0 ? 64 << 10 : 1 << 20, pace);
                awaitPublished(tap, points);
            });
            if (rows != null) {
                rows.add(row("telnet, standalone -> Kafka, " + name.substring("telnet, ".length()), meter));
                cpuRows.add(meter.cpuRow());
                cpuRows.add(CpuMeter.threadRow(threadsBefore, CpuMeter.byThread(), points));
                cpuRows.add(String.format("    through the spool: %.0f%% of the points (%s)", 100 * tap.metrics().spooledCount() / points,
                        durability.equals("wal") ? "durability=wal: every point" : "those that came while the producer held a full window"));
            }
            return meter;
        }
    }

    /**
     * What Kafka alone takes from this JVM: a producer with the tap's settings sending the records the telnet run's points
     * become (key and value encoded beforehand, as the tap's parse and encode would give them), all of them once to warm
     * up, then measured until Kafka has acknowledged every one. Returns its points per second.
     */
    private static double bareProducer(int points, DevStack stack, Path dir, List<String[]> rows, List<String> cpuRows) throws Exception {
        String topic = "bench-tap-bare";
        stack.kafka().createTopic(topic, 4, Map.of());
        io.rewind.tap.record.PointEncoder encoder = new io.rewind.tap.record.PointEncoder(
                new io.rewind.schema.wire.SingleObjectWireFormat<>(io.rewind.schema.Point.class));
        List<io.rewind.tap.record.PointRecord> records = new ArrayList<>(points);
        for (int i = 0; i < points; i++) {
            io.rewind.schema.Point point = io.rewind.schema.Point.newBuilder().setMetric("bench.bare").setTimestampMs((T0 + i / 200) * 1000)
                    .setPrecision(io.rewind.schema.TimestampPrecision.SECONDS).setValue((long) (i % 1000))
                    .setTags(Map.of("host", "web" + i % 200, "dc", "lga")).build();
            records.add(encoder.encode(point, System.currentTimeMillis()));
        }
        java.util.Properties props = TapConfig.of(settings(stack, topic, dir.resolve("spool-bare"), "", "async")).producerProperties();
        CpuMeter meter = new CpuMeter("bare Kafka producer, the tap's settings", CpuMeter.thisJvmButLoad("producer"),
                CpuMeter.loadThreads("clients"), CpuMeter.server("broker", stack.kafka()), JIT);
        try (org.apache.kafka.clients.producer.KafkaProducer<byte[], byte[]> producer = new org.apache.kafka.clients.producer.KafkaProducer<>(props)) {
            // Warm as the tap is when measured: the JIT has compiled the producer's send path.
            List<io.rewind.tap.record.PointRecord> quarter = records.subList(0, points / 4);
            System.out.println("Bare producer warm after " + warm(STANDALONE_WARM_ROUNDS, () -> send(producer, topic, quarter)));
            meter.measure(points, () -> send(producer, topic, records));
        }
        rows.add(row("bare Kafka producer, same records -> Kafka", meter));
        cpuRows.add(meter.cpuRow());
        return meter.pointsPerSecond();
    }

    private static void send(org.apache.kafka.clients.producer.KafkaProducer<byte[], byte[]> producer, String topic,
            List<io.rewind.tap.record.PointRecord> records) {
        java.util.concurrent.atomic.AtomicReference<Exception> failed = new java.util.concurrent.atomic.AtomicReference<>();
        for (io.rewind.tap.record.PointRecord record : records) {
            producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(topic, null, record.receivedMs(), record.key(), record.value()),
                    (metadata, e) -> {
                        if (e != null) {
                            failed.set(e);
                        }
                    });
        }
        producer.flush();
        if (failed.get() != null) {
            throw new IllegalStateException("Kafka refused a record", failed.get());
        }
    }

    private static double pointsPerSecond(List<String[]> rows, String name) {
        for (String[] row : rows) {
            if (row[0].equals(name)) {
                return Double.parseDouble(row[2].replace(",", ""));
            }
        }
        throw new IllegalStateException("no row " + name);
    }

    /** HTTP standalone: 2 clients post arrays of 500 points; measured once warm, until Kafka has acknowledged every point. */
    private static void standaloneHttp(int standalonePoints, DevStack stack, Path dir, List<String[]> rows, List<String> cpuRows) throws Exception {
        String topic = "bench-tap-http";
        stack.kafka().createTopic(topic, 4, Map.of());
        try (Tap tap = Tap.start(TapConfig.of(settings(stack, topic, dir.resolve("spool-http"), "", "async")))) {
            int client = tap.port();
            int[] warmed = {0};
            System.out.println("Standalone HTTP warm after " + warm(STANDALONE_WARM_ROUNDS, () -> {
                http(client, "bench.standalone.http", standalonePoints / 10, 2);
                awaitPublished(tap, standalonePoints / 10 * ++warmed[0]);
            }));
            CpuMeter meter = standalone("HTTP", stack);
            Map<String, Long> threadsBefore = CpuMeter.byThread();
            // As many points as the telnet runs: the JIT still compiles now and then (the broker and this JVM keep both cores
            // busy), and over a quarter of them its compiles took up to half of the tap's CPU.
            meter.measure(standalonePoints, () -> {
                http(client, "bench.standalone.http", standalonePoints, 2);
                awaitPublished(tap, standalonePoints / 10 * warmed[0] + standalonePoints);
            });
            rows.add(row("HTTP /api/put, standalone -> Kafka", meter));
            cpuRows.add(meter.cpuRow());
            cpuRows.add(CpuMeter.threadRow(threadsBefore, CpuMeter.byThread(), standalonePoints));
        }
    }

    private static Map<String, String> settings(DevStack stack, String topic, Path spool, String upstreams, String durability) {
        Map<String, String> s = TapConfig.localSettings(stack.kafka().bootstrapServers(), topic, spool, upstreams);
        s.put("durability", durability);
        s.putAll(EXTRA);
        return s;
    }

    /** Standalone: this JVM runs the tap and its clients, told apart by their threads; the broker takes the points. */
    private static CpuMeter standalone(String name, DevStack stack) {
        return new CpuMeter(name, CpuMeter.thisJvmButLoad("tap"), CpuMeter.loadThreads("clients"), CpuMeter.server("broker", stack.kafka()), JIT);
    }

    /** In front of a TSD: this JVM runs the clients, and the tap when through it. */
    private static CpuMeter front(String name, DevStack stack, Tsd tsd) {
        return new CpuMeter(name, CpuMeter.thisJvm("this JVM"), JIT, CpuMeter.server("TSD", tsd),
                CpuMeter.server("HBase", stack.hbase()), CpuMeter.server("broker", stack.kafka()));
    }

    private static String[] row(String name, CpuMeter meter) {
        return new String[] {name, String.format("%,d", meter.points()), String.format("%,.0f", meter.pointsPerSecond())};
    }

    /** Sends the points over {@code connections} telnet connections at once; returns when each has had its {@code version} answer. */
    private static void telnet(int port, String metric, int points, int connections) {
        telnet(port, metric, points, connections, 1 << 20);
    }

    private static void telnet(int port, String metric, int points, int connections, int writeBytes) {
        telnet(port, metric, points, connections, writeBytes, 0);
    }

    /** As above, writing at most {@code writeBytes} at a time, and with {@code pace} above 0 no faster than that many points a second. */
    private static void telnet(int port, String metric, int points, int connections, int writeBytes, int pace) {
        List<CompletableFuture<Void>> all = new ArrayList<>();
        for (int c = 0; c < connections; c++) {
            int conn = c;
            all.add(CompletableFuture.runAsync(() -> {
                try (Socket socket = new Socket("127.0.0.1", port)) {
                    OutputStream out = socket.getOutputStream();
                    socket.setTcpNoDelay(true);
                    StringBuilder chunk = new StringBuilder(writeBytes);
                    long start = System.nanoTime();
                    for (int i = conn; i < points; i += connections) {
                        chunk.append("put ").append(metric).append(' ').append(T0 + i / 200).append(' ').append(i % 1000)
                                .append(" host=web").append(i % 200).append(" dc=lga\n");
                        if (chunk.length() > writeBytes - 200) {
                            out.write(chunk.toString().getBytes(StandardCharsets.ISO_8859_1));
                            chunk.setLength(0);
                            if (pace > 0) {
                                // This connection's share of the rate: wait until the points written so far are due.
                                long due = start + (long) ((i / connections + 1) * 1e9 / (pace / (double) connections));
                                java.util.concurrent.locks.LockSupport.parkNanos(due - System.nanoTime());
                            }
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
            }, LOAD));
        }
        all.forEach(CompletableFuture::join);
    }

    /**
     * POSTs the points as arrays of 500 over {@code clients} keep-alive HTTP/1.1 connections at once, each
     * waiting for the answer before its next request, like a collector. A plain socket client, so that
     * the load generator costs little of the machine the TSD and the tap share.
     */
    private static void http(int port, String metric, int points, int clients) {
        http(port, metric, points, clients, 500);
    }

    /** As above, {@code perRequest} points per request. */
    private static void http(int port, String metric, int points, int clients, int perRequest) {
        List<CompletableFuture<Void>> all = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            int conn = c;
            all.add(CompletableFuture.runAsync(() -> {
                try (Socket socket = new Socket("127.0.0.1", port)) {
                    socket.setTcpNoDelay(true);
                    OutputStream out = new java.io.BufferedOutputStream(socket.getOutputStream(), 1 << 16);
                    java.io.InputStream in = new java.io.BufferedInputStream(socket.getInputStream());
                    for (int from = conn * perRequest; from < points; from += perRequest * clients) {
                        StringBuilder body = new StringBuilder("[");
                        for (int i = from; i < Math.min(points, from + perRequest); i++) {
                            body.append(i == from ? "" : ",").append("{\"metric\":\"").append(metric).append("\",\"timestamp\":").append(T0 + i / 200)
                                    .append(",\"value\":").append(i % 1000).append(",\"tags\":{\"host\":\"web").append(i % 200).append("\",\"dc\":\"lga\"}}");
                        }
                        byte[] bytes = body.append(']').toString().getBytes(StandardCharsets.UTF_8);
                        out.write(("POST /api/put HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: " + bytes.length
                                + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                        out.write(bytes);
                        out.flush();
                        String status = readResponse(in);
                        if (!status.startsWith("HTTP/1.1 204")) {
                            throw new IllegalStateException(status);
                        }
                    }
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }, LOAD));
        }
        all.forEach(CompletableFuture::join);
    }

    /** Reads one HTTP response (headers and a Content-Length body); returns its status line, with the body when there is one. */
    private static String readResponse(java.io.InputStream in) throws java.io.IOException {
        String status = null;
        int length = 0;
        for (String line = headerLine(in); !line.isEmpty(); line = headerLine(in)) {
            if (status == null) {
                status = line;
            } else if (line.regionMatches(true, 0, "Content-Length:", 0, 15)) {
                length = Integer.parseInt(line.substring(15).trim());
            }
        }
        byte[] body = in.readNBytes(length);
        return length == 0 ? status : status + ": " + new String(body, StandardCharsets.UTF_8);
    }

    private static String headerLine(java.io.InputStream in) throws java.io.IOException {
        StringBuilder line = new StringBuilder();
        for (int b = in.read(); b != '\n'; b = in.read()) {
            if (b < 0) {
                throw new java.io.EOFException("connection closed");
            }
            if (b != '\r') {
                line.append((char) b);
            }
        }
        return line.toString();
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
