package io.rewind.restore.check;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.rewind.archive.RateLimit;
import io.rewind.archive.storage.local.LocalStorage;
import io.rewind.restore.TestArchive;
import io.rewind.restore.plan.Transforms;
import io.rewind.restore.targets.HttpTarget;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which hours a drill restores. */
class DrillTest {
    private static final long H = 3_600_000L;
    private static final long T = 1_763_640_000_000L;

    @Test
    void theLastFullHourAndSeededRandomOlderOnes() {
        List<Long> hours = LongStream.range(0, 48).mapToObj(i -> T + i * H).toList();
        long now = T + 47 * H + 20 * 60_000; // the 48th hour is not full yet

        List<Drill.Sample> samples = Drill.choose(hours, now, 3, 42);

        assertThat(samples).hasSize(4);
        assertThat(samples.get(0)).isEqualTo(new Drill.Sample(T + 46 * H, T + 47 * H, "last full hour"));
        assertThat(samples.subList(1, 4)).allSatisfy(s -> {
            assertThat(s.why()).isEqualTo("random");
            assertThat(s.fromMs()).isLessThan(T + 46 * H);
            assertThat(s.toMs() - s.fromMs()).isEqualTo(H);
        });
        assertThat(samples).doesNotHaveDuplicates();
        assertThat(Drill.choose(hours, now, 3, 42)).isEqualTo(samples);
        assertThat(Drill.choose(hours, now, 3, 43)).isNotEqualTo(samples);
    }

    @TempDir
    Path dir;

    @Test
    void drillsThatFollowOneAnotherWriteAndCompareOverTheConnectionsOfTheFirst() throws Exception {
        LocalStorage storage = new LocalStorage(dir.resolve("archive"));
        new TestArchive(storage, 1).commit(TestArchive.ingestedAt(TestArchive.workload("drill", T, 30, 2), T + H));
        // A TSD stand-in that stores nothing: the comparison fails, but every request names the connection it came on.
        Set<Integer> connections = ConcurrentHashMap.newKeySet();
        HttpServer tsd = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        tsd.createContext("/", exchange -> {
            connections.add(exchange.getRemoteAddress().getPort());
            exchange.getRequestBody().readAllBytes();
            byte[] body = exchange.getRequestURI().getPath().equals("/api/query") ? "[]".getBytes() : new byte[0];
            exchange.sendResponseHeaders(body.length == 0 ? 204 : 200, body.length == 0 ? -1 : body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        tsd.start();
        try {
            Drill.Settings settings = new Drill.Settings(TestArchive.TOPIC, List.of(), Map.of(), Transforms.NONE,
                    new HttpTarget.Settings(List.of(URI.create("http://127.0.0.1:" + tsd.getAddress().getPort())), true, false,
                            Duration.ofSeconds(10), 1, Duration.ofMillis(10), Duration.ofMillis(10)),
                    1_000, 1, RateLimit.of(0), 0, 1, dir.resolve("rejects.jsonl"));
            HttpClient http = HttpTarget.httpClient();

            Drill.Result first = Drill.run(storage, settings, http, T + 2 * H);
            Set<Integer> firstConnections = Set.copyOf(connections);
            Drill.Result second = Drill.run(storage, settings, http, T + 2 * H);

            assertThat(first.samples()).hasSize(1);
            assertThat(second.samples()).hasSize(1);
            assertThat(firstConnections).hasSize(1);
            assertThat(connections).isEqualTo(firstConnections);
        } finally {
            tsd.stop(0);
        }
    }

    @Test
    void fewerHoursThanAskedForAndNoneFull() {
        assertThat(Drill.choose(List.of(T, T + H), T + 2 * H, 5, 1)).extracting(Drill.Sample::fromMs).containsExactly(T + H, T);
        assertThat(Drill.choose(List.of(T), T + 60_000, 2, 1))
                .containsExactly(new Drill.Sample(T, T + H, "latest hour (none is full yet)"));
        assertThat(Drill.choose(List.of(), T, 2, 1)).isEmpty();
    }
}
