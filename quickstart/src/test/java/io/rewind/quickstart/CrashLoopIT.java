package io.rewind.quickstart;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.rewind.archive.location.Storages;
import io.rewind.archiver.Archiver;
import io.rewind.archiver.ArchiverConfig;
import io.rewind.devstack.DevStack;
import io.rewind.devstack.TopicRecords;
import io.rewind.devstack.Tsd;
import io.rewind.devstack.TsdClient;
import io.rewind.devstack.junit.DevStackExtension;
import io.rewind.devstack.process.Await;
import io.rewind.cli.RewindCli;
import io.rewind.schema.Point;
import io.rewind.schema.wire.SingleObjectWireFormat;
import io.rewind.service.TimeArgs;
import io.rewind.tap.Tap;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The tap as its own process in front of a TSD, with {@code durability=wal}, killed with SIGKILL again and again
 * while HTTP clients write (retrying each request until it is acknowledged, as collectors do) and a telnet client
 * writes (reconnecting after each kill). After the last restart, Kafka holds every point an HTTP client was answered
 * 2xx for, and every telnet point the TSD stored (with the WAL, a line reaches the TSD only once it is fsync'ed); a
 * retried request may be there twice. The archiver then archives the topic, and a restore into a fresh TSD holds every
 * point Kafka holds, once: each point of the source TSD with its value, and the telnet points the WAL had fsync'ed when
 * a kill came before they were forwarded, which the source TSD never got.
 */
@ExtendWith(DevStackExtension.class)
class CrashLoopIT {
    private static final long T0 = 1_763_726_400L;
    private static final int KILLS = 5;
    private static final long FIRST_TELNET = T0 + 5_000_000L; // the telnet client's first timestamp, then one per point
    private static final SingleObjectWireFormat<Point> POINTS = new SingleObjectWireFormat<>(Point.class);

    @TempDir
    Path dir;

    @Test
    void killedFiveTimesUnderLoadTheTapLosesNothingAndTheRestoreHoldsEachPointOnce(DevStack stack) throws Exception {
        String topic = "tap-it-crash";
        stack.kafka().createTopic(topic, 2, Map.of());
        Tsd tsd = stack.tsd("tap-crash", Map.of());
        int port = freePort();
        Set<Long> acknowledged = ConcurrentHashMap.newKeySet();
        AtomicLong retried = new AtomicLong();
        AtomicLong telnetSent = new AtomicLong();
        AtomicBoolean stop = new AtomicBoolean();
        ExecutorService clients = Executors.newFixedThreadPool(3);
        Process tap = null;
        try {
            List<Future<?>> load = List.of(
                    clients.submit(() -> http(port, 0, acknowledged, retried, stop)),
                    clients.submit(() -> http(port, 1, acknowledged, retried, stop)),
                    clients.submit(() -> telnet(port, telnetSent, stop)));
            for (int run = 0; run <= KILLS; run++) {
                tap = startTap(stack, topic, tsd, port, run);
                Process running = tap;
                long before = acknowledged.size();
                Await.until("the tap to acknowledge 300 more points (run " + run + ")", Duration.ofSeconds(90),
                        () -> assertThat(running.isAlive()).as("tap alive, see " + dir.resolve("tap.log")).isTrue(),
                        () -> acknowledged.size() >= before + 300);
                if (run < KILLS) {
                    tap.destroyForcibly().waitFor();
                }
            }
            stop.set(true);
            for (Future<?> client : load) {
                client.get(2, TimeUnit.MINUTES);
            }
        } finally {
            clients.shutdownNow();
            if (tap != null) {
                tap.destroy(); // SIGTERM: the last tap stops as a tap does
                tap.waitFor(3, TimeUnit.MINUTES);
            }
        }
        // How many telnet points a TSD stores while its tap is killed is not knowable (a line written into a dying tap's
        // socket is neither refused nor stored), so the count is not asserted: every point it stored must be in Kafka,
        // each one sent, with the value sent, and the restore must hold each Kafka record once.
        Set<Long> forwarded = new HashSet<>();
        for (TsdClient.Series series : TsdClient.of(tsd).query("tapit.crash.telnet", (T0 - 1) * 1000, (T0 + 10_000_000) * 1000)) {
            series.points().forEach((ms, value) -> {
                forwarded.add(ms / 1000);
                assertThat(value.asLong()).as("value stored at %d", ms / 1000).isEqualTo(ms / 1000 % 1000);
            });
        }
        assertThat(forwarded).as("telnet points the TSD stored, of %d sent", telnetSent.get()).isNotEmpty()
                .allMatch(ts -> ts >= FIRST_TELNET && ts < FIRST_TELNET + telnetSent.get());
        Set<Long> httpInKafka = new HashSet<>();
        Set<Long> telnetInKafka = new HashSet<>();
        long records = 0;
        for (ConsumerRecord<byte[], byte[]> r : TopicRecords.readToEnd(stack.kafka().bootstrapServers(), topic, Duration.ofMinutes(2))) {
            Point point = POINTS.decode(r.value());
            long ts = point.getTimestampMs() / 1000;
            if (point.getMetric().equals("tapit.crash.telnet")) {
                assertThat(ts).as("a telnet point in Kafka was sent").isBetween(FIRST_TELNET, FIRST_TELNET + telnetSent.get() - 1);
                assertThat(point.getValue()).as("value in Kafka at %d", ts).isEqualTo(ts % 1000);
            }
            (point.getMetric().equals("tapit.crash.http") ? httpInKafka : telnetInKafka).add(ts);
            records++;
        }
        assertThat(httpInKafka).as("acknowledged HTTP points (%d requests retried)", retried.get()).containsAll(acknowledged);
        assertThat(telnetInKafka).as("telnet points the TSD stored").containsAll(forwarded);

        // The archive and a restore: each point once, as the source TSD holds it.
        ArchiverConfig config = Pipeline.archiverConfig(stack.kafka().bootstrapServers(), topic, "rewind-" + topic,
                dir.resolve("archive").toString(), dir.resolve("archiver-state"), Duration.ofSeconds(1));
        PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        long inKafka = records;
        try (Archiver archiver = Archiver.start(config, Storages.open(config.storage()), metrics)) {
            Await.until("the archiver to archive the " + inKafka + " records of the topic", Duration.ofMinutes(3), () -> { },
                    () -> metrics.get("rewind.archiver.points.archived").counter().count() >= inKafka);
        }
        Tsd restored = stack.tsd("crash-restored", Map.of());
        StringWriter out = new StringWriter();
        CommandLine cli = RewindCli.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(out, true));
        long fromMs = (T0 - 1) * 1000;
        long toMs = (T0 + 10_000_000) * 1000;
        int exit = cli.execute("restore", "--archive", dir.resolve("archive").toString(), "--topic", topic, "--from", TimeArgs.format(fromMs),
                "--to", TimeArgs.format(toMs), "--target", restored.httpUrl().toString(), "--rejects", dir.resolve("rejects.jsonl").toString());
        assertThat(exit).as(out.toString()).isZero();
        List<String> metricNames = List.of("tapit.crash.http", "tapit.crash.telnet");
        TsdData source = TsdData.query(TsdClient.of(tsd), metricNames, fromMs, toMs);
        TsdData copy = TsdData.query(TsdClient.of(restored), metricNames, fromMs, toMs);
        // Every point in Kafka, once: the source TSD's, each with its value, and the telnet points the WAL had fsync'ed when a kill
        // came before they were forwarded (the source TSD never got those; the backup has them).
        assertThat(copy.points()).as("points restored, %d records in Kafka", inKafka).isEqualTo(httpInKafka.size() + telnetInKafka.size());
        source.series().forEach((series, points) -> assertThat(copy.series().get(series)).as("restored %s", series).containsAllEntriesOf(points));
    }

    private Process startTap(DevStack stack, String topic, Tsd tsd, int port, int run) throws IOException {
        List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
                "-cp", System.getProperty("java.class.path"), Tap.class.getName(),
                "--bootstrap.servers=" + stack.kafka().bootstrapServers(), "--topic=" + topic, "--upstreams=127.0.0.1:" + tsd.port(),
                "--listen.host=127.0.0.1", "--listen.port=" + port, "--admin.port=0", "--spool.dir=" + dir.resolve("spool"),
                "--durability=wal", "--tap.id=crash-" + run);
        Process tap = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("tap.log").toFile())).start();
        Await.until("the tap to listen on " + port, Duration.ofSeconds(60),
                () -> assertThat(tap.isAlive()).as("tap alive, see " + dir.resolve("tap.log")).isTrue(), () -> {
                    try (Socket probe = new Socket("127.0.0.1", port)) {
                        return true;
                    }
                });
        return tap;
    }

    /** Requests of 20 points, each sent again until a 2xx acknowledges it; every point has its own second. */
    private static Void http(int port, int client, Set<Long> acknowledged, AtomicLong retried, AtomicBoolean stop) throws InterruptedException {
        for (long request = 0; !stop.get(); request++) {
            long first = T0 + 1_000_000L * client + 20 * request;
            StringBuilder body = new StringBuilder("[");
            for (int k = 0; k < 20; k++) {
                body.append(k == 0 ? "" : ",").append("{\"metric\":\"tapit.crash.http\",\"timestamp\":").append(first + k)
                        .append(",\"value\":").append(k).append(",\"tags\":{\"client\":\"c").append(client).append("\"}}");
            }
            while (true) {
                try {
                    if (new TsdClient("127.0.0.1", port).post("/api/put", body + "]", request % 2 == 0).status() / 100 == 2) {
                        for (int k = 0; k < 20; k++) {
                            acknowledged.add(first + k);
                        }
                        break;
                    }
                } catch (UncheckedIOException tapDown) {
                    // the tap was killed: the request is sent again, as a collector does
                }
                retried.incrementAndGet();
                TimeUnit.MILLISECONDS.sleep(50); // a client's retry pause, not a wait for the test's sake
            }
        }
        return null;
    }

    /** Lines of one series, a second apart, in writes of 50; after a kill, a new connection and the next lines. */
    private static Void telnet(int port, AtomicLong sent, AtomicBoolean stop) throws InterruptedException {
        long next = FIRST_TELNET;
        while (!stop.get()) {
            try (Socket socket = new Socket("127.0.0.1", port)) {
                OutputStream out = socket.getOutputStream();
                while (!stop.get()) {
                    StringBuilder lines = new StringBuilder();
                    for (int i = 0; i < 50; i++, next++) {
                        lines.append("put tapit.crash.telnet ").append(next).append(' ').append(next % 1000).append(" host=t\n");
                    }
                    sent.addAndGet(50); // counted before the write: a write the kill cuts may still have delivered some lines
                    out.write(lines.toString().getBytes(StandardCharsets.ISO_8859_1));
                    out.flush();
                    TimeUnit.MILLISECONDS.sleep(20); // a collector's pace
                }
            } catch (IOException tapDown) {
                TimeUnit.MILLISECONDS.sleep(50); // reconnect once the tap is back
            }
        }
        return null;
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
