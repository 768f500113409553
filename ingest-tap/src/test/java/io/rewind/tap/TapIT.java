package io.rewind.tap;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.rewind.devstack.DevStack;
import io.rewind.devstack.KafkaBroker;
import io.rewind.devstack.Tsd;
import io.rewind.devstack.TsdClient;
import io.rewind.devstack.junit.DevStackExtension;
import io.rewind.schema.Point;
import io.rewind.tap.config.TapConfig;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.math.BigDecimal;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(DevStackExtension.class)
class TapIT {
    private static final long T0 = 1_763_726_400L; // 2025-11-21T12:00:00Z, seconds
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private static Map<String, String> tapSettings(String bootstrap, String topic, Path spool, String upstreams) {
        Map<String, String> s = TapConfig.localSettings(bootstrap, topic, spool, upstreams);
        s.put("upstream.health.interval.ms", "500");
        s.put("ack.timeout.ms", "5s");
        return s;
    }

    /** A value as a number, whatever way JSON or the point wrote it (the TSD answers 3.0 for 3 in mixed series). */
    private static String number(Object value) {
        return new BigDecimal(value.toString()).stripTrailingZeros().toPlainString();
    }

    /**
     * A TSD's answer as the test compares it: an error's stack trace cut to its first line (the exception and its
     * message). The frames below it name the TSD thread that completed the write, an HBase client thread or the HTTP
     * one, and that differs between two TSDs given the same request; everything else must match byte for byte.
     */
    static String comparable(String body) {
        JsonNode json;
        try {
            json = JSON.readTree(body);
        } catch (JsonProcessingException notJson) {
            return body;
        }
        if (json != null && json.path("error").path("trace").isTextual()) {
            ObjectNode error = (ObjectNode) json.get("error");
            String trace = error.get("trace").asText();
            int end = trace.indexOf('\n');
            error.put("trace", end < 0 ? trace : trace.substring(0, end));
            return json.toString();
        }
        return body;
    }

    /** metric|tags|timestampMs -> value, for comparing the TSD's and Kafka's contents. */
    private static Map<String, String> stored(TsdClient tsd, List<String> metrics) {
        Map<String, String> out = new TreeMap<>();
        for (String metric : metrics) {
            for (TsdClient.Series series : tsd.query(metric, (T0 - 10) * 1000, (T0 + 10_000) * 1000)) {
                series.points().forEach((ts, value) -> out.put(metric + "|" + series.tags() + "|" + ts, number(value.asText())));
            }
        }
        return out;
    }

    @Test
    void throughTheTapTheTsdStoresAndAnswersWhatItDoesDirectlyAndKafkaHoldsExactlyTheValidPoints(DevStack stack) throws Exception {
        String topic = "tap-it-protocols";
        stack.kafka().createTopic(topic, 4, Map.of());
        Tsd production = stack.tsd(DevStackExtension.PRODUCTION);
        TsdClient direct = TsdClient.of(stack.tsd(DevStackExtension.RECOVERY));
        try (Tap tap = Tap.start(TapConfig.of(tapSettings(stack.kafka().bootstrapServers(), topic, dir.resolve("spool"),
                "127.0.0.1:" + production.port())))) {
            TsdClient viaTap = new TsdClient("127.0.0.1", tap.port());
            List<String> lines = new ArrayList<>();
            for (int i = 0; i < 300; i++) {
                String host = "web" + (i % 3);
                lines.add("put tapit.telnet.cpu " + (T0 + i) + " " + (i % 2 == 0 ? Integer.toString(i) : i + ".25") + " host=" + host);
                lines.add("put tapit.telnet.ms " + (T0 + i) + "." + String.format("%03d", i) + " " + (i * 3) + " host=" + host + "\r");
                if (i % 50 == 0) {
                    lines.add("put tapit.telnet.cpu " + (T0 + i) + " abc host=" + host);
                    lines.add("put tapit.telnet.cpu " + (T0 + i) + " 1 host" + host);
                    lines.add("put tapit.telnet.cpu " + (T0 + i) + " 1 host=a host=b");
                    lines.add("put tapit.telnet.bad$ " + (T0 + i) + " 1 host=a");
                    lines.add("");
                    lines.add("stats-no-such-command");
                }
            }
            assertThat(viaTap.telnet(lines)).isEqualTo(direct.telnet(lines)).hasSize(6 * 6);

            // %1$d: the request's base time in seconds, %2$d: the same in milliseconds plus 7.
            List<String> bodies = List.of(
                    "{\"metric\":\"tapit.http.one\",\"timestamp\":%1$d,\"value\":42,\"tags\":{\"host\":\"a\"}}",
                    "[{\"metric\":\"tapit.http.arr\",\"timestamp\":%1$d,\"value\":\"2\",\"tags\":{\"host\":\"a\"}},"
                            + "{\"metric\":\"tapit.http.arr\",\"timestamp\":%2$d,\"value\":2.5,\"tags\":{\"host\":\"a\"}},"
                            + "{\"metric\":\"tapit.http.arr\",\"timestamp\":%1$d,\"value\":-7,\"tags\":{\"host\":\"b\"}}]",
                    "[{\"metric\":\"tapit.http.mixed\",\"timestamp\":%1$d,\"value\":1,\"tags\":{\"host\":\"a\"}},"
                            + "{\"metric\":\"tapit.http.mixed\",\"timestamp\":%1$d,\"value\":\"abc\",\"tags\":{\"host\":\"b\"}},"
                            + "{\"metric\":\"tapit.http.mixed$\",\"timestamp\":%1$d,\"value\":1,\"tags\":{\"host\":\"a\"}},"
                            + "{\"metric\":\"tapit.http.mixed\",\"timestamp\":0,\"value\":1,\"tags\":{\"host\":\"a\"}},"
                            + "{\"metric\":\"tapit.http.mixed\",\"timestamp\":%1$d,\"value\":1},"
                            + "{\"metric\":\"tapit.http.mixed\",\"timestamp\":%1$d,\"value\":1e400,\"tags\":{\"host\":\"c\"}},"
                            + "{\"metric\":\"tapit.http.mixed\",\"timestamp\":%2$d,\"value\":3,\"tags\":{\"host\":\"a\"}}]",
                    "{bad json");
            int n = 0;
            for (String template : bodies) {
                for (String query : List.of("", "?details", "?summary", "?sync", "?details&sync")) {
                    for (boolean gzip : List.of(false, true)) {
                        // Each request writes its own timestamps, so none overwrites another's.
                        long base = T0 + 1000 + 10L * n++;
                        String body = String.format(template, base, base * 1000 + 7);
                        TsdClient.Response mine = viaTap.post("/api/put" + query, body, gzip);
                        TsdClient.Response theirs = direct.post("/api/put" + query, body, gzip);
                        assertThat(mine.status()).as("%s %s", query, body).isEqualTo(theirs.status());
                        assertThat(comparable(mine.body())).as("%s %s", query, body).isEqualTo(comparable(theirs.body()));
                    }
                }
            }
            assertThat(viaTap.get("/api/version").body()).isEqualTo(direct.get("/api/version").body());

            List<String> metrics = List.of("tapit.telnet.cpu", "tapit.telnet.ms", "tapit.http.one", "tapit.http.arr", "tapit.http.mixed");
            Map<String, String> inProduction = stored(TsdClient.of(production), metrics);
            // 600 telnet points; per HTTP request: 1 (one), 3 (array), 2 (the valid ones of mixed), 0 (bad JSON).
            assertThat(inProduction).hasSize(600 + 10 * (1 + 3 + 2)).isEqualTo(stored(direct, metrics));

            List<TopicPoints.Record> records = TopicPoints.read(stack.kafka().bootstrapServers(), topic, inProduction.size(), Duration.ofSeconds(60));
            Map<String, String> inKafka = new TreeMap<>();
            for (TopicPoints.Record r : records) {
                Point p = r.point();
                inKafka.put(p.getMetric() + "|" + new TreeMap<>(p.getTags()) + "|" + p.getTimestampMs(), number(p.getValue()));
            }
            assertThat(records).hasSize(inProduction.size());
            assertThat(inKafka).isEqualTo(inProduction);
            // One series, one partition, in the order it was written.
            Map<String, List<TopicPoints.Record>> bySeries = records.stream().collect(Collectors.groupingBy(TopicPoints.Record::key));
            bySeries.values().forEach(series -> {
                assertThat(series).extracting(TopicPoints.Record::partition).containsOnly(series.get(0).partition());
                List<Long> times = series.stream().map(r -> r.point().getTimestampMs()).toList();
                assertThat(times).isSorted();
            });
        }
    }

    @Test
    void pipelinedHttpRequestsThroughTheTapAreEachAnsweredInOrder(DevStack stack) throws Exception {
        String topic = "tap-it-pipelined";
        stack.kafka().createTopic(topic, 1, Map.of());
        Tsd production = stack.tsd(DevStackExtension.PRODUCTION);
        try (Tap tap = Tap.start(TapConfig.of(tapSettings(stack.kafka().bootstrapServers(), topic, dir.resolve("spool"),
                "127.0.0.1:" + production.port())));
                Socket socket = new Socket("127.0.0.1", tap.port())) {
            socket.setSoTimeout(30_000); // an answer that never comes fails the test instead of hanging it
            String good = "{\"metric\":\"tapit.pipelined\",\"timestamp\":" + T0 + ",\"value\":7,\"tags\":{\"host\":\"a\"}}";
            String bad = "{\"metric\":\"tapit.pipelined\",\"timestamp\":" + T0 + ",\"value\":\"abc\",\"tags\":{\"host\":\"a\"}}";
            // Three requests in one write, before any answer: a client pipelining on one keep-alive connection.
            socket.getOutputStream().write((post("/api/put?details", good) + "GET /api/version HTTP/1.1\r\nHost: tsd\r\n\r\n"
                    + post("/api/put", bad)).getBytes(StandardCharsets.UTF_8));
            DataInputStream in = new DataInputStream(new BufferedInputStream(socket.getInputStream()));
            List<String> answers = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                answers.add(readResponse(in));
            }
            assertThat(answers.get(0)).startsWith("HTTP/1.1 200").contains("\"success\":1");
            assertThat(answers.get(1)).startsWith("HTTP/1.1 200").contains("\"full_revision\"");
            assertThat(answers.get(2)).startsWith("HTTP/1.1 400");
            List<TopicPoints.Record> records = TopicPoints.read(stack.kafka().bootstrapServers(), topic, 1, Duration.ofSeconds(60));
            assertThat(records).extracting(r -> r.point().getValue()).containsExactly(7L);
        }
    }

    private static String post(String uri, String body) {
        return "POST " + uri + " HTTP/1.1\r\nHost: tsd\r\nContent-Type: application/json\r\nContent-Length: "
                + body.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + body;
    }

    /** One HTTP/1.1 response with a Content-Length, as text. */
    private static String readResponse(DataInputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        int length = 0;
        for (String line = readLine(in); !line.isEmpty(); line = readLine(in)) {
            head.append(line).append("\n");
            if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                length = Integer.parseInt(line.substring(15).trim());
            }
        }
        byte[] body = new byte[length];
        in.readFully(body);
        return head + "\n" + new String(body, StandardCharsets.UTF_8);
    }

    private static String readLine(DataInputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        for (int c = in.read(); c != '\n'; c = in.read()) {
            if (c < 0) {
                throw new EOFException("the connection closed after: " + line);
            }
            if (c != '\r') {
                line.append((char) c);
            }
        }
        return line.toString();
    }
}
