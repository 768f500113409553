package io.rewind.devstack;

import static io.rewind.devstack.junit.DevStackExtension.PRODUCTION;
import static io.rewind.devstack.junit.DevStackExtension.RECOVERY;
import static org.assertj.core.api.Assertions.assertThat;

import io.rewind.devstack.junit.DevStackExtension;
import io.rewind.devstack.process.Await;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The dev stack's TSD is a real OpenTSDB: what is put by telnet or HTTP is what /api/query returns. */
@ExtendWith(DevStackExtension.class)
class OpenTsdbIT {
    private static final long T0 = 1_763_726_400_000L;

    @Test
    void telnetPutsAreStoredWithTheirPrecisionAndBadLinesGetOpenTsdbsError(DevStack stack) {
        TsdClient tsd = TsdClient.of(stack.tsd(PRODUCTION));

        List<String> replies = tsd.telnet(List.of(
                "put it.telnet.int " + T0 / 1000 + " 42 host=a",
                "put it.telnet.int " + (T0 + 10_000) / 1000 + " -7 host=a",
                "put it.telnet.float " + T0 / 1000 + " 0.25 host=a dc=lga",
                "put it.telnet.ms " + (T0 + 123) + " 5 host=a",
                "put it.telnet.ms " + T0 / 1000 + ".456 6 host=a",
                "put it.telnet.int"));

        assertThat(replies).containsExactly("put: illegal argument: not enough arguments (need least 4, got 1)");
        awaitSeries(tsd, "it.telnet.int", Map.of("host", "a"), Map.of(T0, "42", T0 + 10_000, "-7"));
        awaitSeries(tsd, "it.telnet.float", Map.of("host", "a", "dc", "lga"), Map.of(T0, "0.25"));
        awaitSeries(tsd, "it.telnet.ms", Map.of("host", "a"), Map.of(T0 + 123, "5", T0 + 456, "6"));
    }

    @Test
    void httpPutOfOneObjectIsStored(DevStack stack) {
        TsdClient tsd = TsdClient.of(stack.tsd(PRODUCTION));

        TsdClient.Response response = tsd.post("/api/put?sync",
                "{\"metric\":\"it.http.single\",\"timestamp\":" + T0 / 1000 + ",\"value\":1,\"tags\":{\"host\":\"a\"}}", false);

        assertThat(response.status()).isEqualTo(204);
        awaitSeries(tsd, "it.http.single", Map.of("host", "a"), Map.of(T0, "1"));
    }

    @Test
    void httpPutOfAnArrayStoresTheGoodPointsAndDetailsTheBadOne(DevStack stack) {
        TsdClient tsd = TsdClient.of(stack.tsd(PRODUCTION));

        TsdClient.Response response = tsd.post("/api/put?sync&details", "["
                + "{\"metric\":\"it.http.array\",\"timestamp\":" + T0 + ",\"value\":1.5,\"tags\":{\"host\":\"a\"}},"
                + "{\"metric\":\"it.http.array\",\"timestamp\":" + (T0 + 1) + ",\"value\":\"2\",\"tags\":{\"host\":\"a\"}},"
                + "{\"metric\":\"it.http.array\",\"timestamp\":" + (T0 + 2) + ",\"value\":\"x\",\"tags\":{\"host\":\"a\"}}]", false);

        assertThat(response.status()).isEqualTo(400);
        assertThat(response.json().path("success").asInt()).isEqualTo(2);
        assertThat(response.json().path("failed").asInt()).isEqualTo(1);
        assertThat(response.json().path("errors").get(0).path("error").asText()).isEqualTo("Unable to parse value to a number");
        // A quoted value without '.' or 'e' is stored as an integer, even beside floating-point points.
        awaitSeries(tsd, "it.http.array", Map.of("host", "a"), Map.of(T0, "1.5", T0 + 1, "2"));
    }

    @Test
    void gzipHttpPutOfALargeArrayIsStored(DevStack stack) {
        TsdClient tsd = TsdClient.of(stack.tsd(PRODUCTION));
        Map<Long, String> expected = new TreeMap<>();
        StringBuilder body = new StringBuilder("[");
        for (int i = 0; i < 2_000; i++) {
            long ts = T0 + i * 10_000L;
            expected.put(ts, Integer.toString(i));
            body.append(i == 0 ? "" : ",").append("{\"metric\":\"it.http.gzip\",\"timestamp\":").append(ts / 1000)
                    .append(",\"value\":").append(i).append(",\"tags\":{\"host\":\"a\",\"cpu\":\"0\"}}");
        }
        body.append(']');

        TsdClient.Response response = tsd.post("/api/put?sync&summary", body.toString(), true);

        assertThat(response.status()).isEqualTo(200);
        assertThat(response.json().path("success").asInt()).isEqualTo(2_000);
        assertThat(response.json().path("failed").asInt()).isZero();
        awaitSeries(tsd, "it.http.gzip", Map.of("host", "a", "cpu", "0"), expected);
    }

    @Test
    void tsdsOfOneStackKeepTheirDataApart(DevStack stack) {
        TsdClient production = TsdClient.of(stack.tsd(PRODUCTION));
        TsdClient recovery = TsdClient.of(stack.tsd(RECOVERY));
        production.post("/api/put?sync",
                "{\"metric\":\"it.isolated\",\"timestamp\":" + T0 / 1000 + ",\"value\":3,\"tags\":{\"host\":\"a\"}}", false);

        awaitSeries(production, "it.isolated", Map.of("host", "a"), Map.of(T0, "3"));
        assertThat(recovery.query("it.isolated", T0 - 60_000, T0 + 60_000)).isEmpty();
    }

    /** Waits until the TSD returns exactly this one series, values compared as the TSD writes them in JSON. */
    private static void awaitSeries(TsdClient tsd, String metric, Map<String, String> tags, Map<Long, String> expected) {
        Map<Long, String> want = new TreeMap<>(expected);
        long start = want.keySet().iterator().next() - 60_000;
        long end = ((TreeMap<Long, String>) want).lastKey() + 60_000;
        Map<Map<String, String>, Map<Long, String>> wanted = Map.of(new TreeMap<>(tags), want);
        Map<Map<String, String>, Map<Long, String>>[] seen = new Map[1];
        try {
            Await.until(metric + " to be readable", Duration.ofSeconds(30), () -> { }, () -> {
                seen[0] = series(tsd, metric, start, end);
                return seen[0].equals(wanted);
            });
        } catch (IllegalStateException timedOut) {
            assertThat(seen[0]).as("series of " + metric).isEqualTo(wanted);
        }
    }

    private static Map<Map<String, String>, Map<Long, String>> series(TsdClient tsd, String metric, long start, long end) {
        return tsd.query(metric, start, end).stream().collect(Collectors.toMap(
                TsdClient.Series::tags,
                s -> s.points().entrySet().stream().collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().toString(),
                        (a, b) -> a, TreeMap::new)),
                (a, b) -> a, LinkedHashMap::new));
    }
}
