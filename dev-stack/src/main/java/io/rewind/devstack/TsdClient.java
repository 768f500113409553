package io.rewind.devstack;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.GZIPOutputStream;

/**
 * Talks to a TSD (or anything that speaks like one, such as the tap) the way collectors and people
 * do: telnet lines, HTTP puts, {@code /api/query}. For tests, benchmarks and the quickstart.
 */
public final class TsdClient {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String host;
    private final int port;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    public TsdClient(String host, int port) {
        this.host = host;
        this.port = port;
    }

    public static TsdClient of(Tsd tsd) {
        return new TsdClient("127.0.0.1", tsd.port());
    }

    /** An HTTP answer: status and body. */
    public record Response(int status, String body) {
        public JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new UncheckedIOException("Not JSON (HTTP " + status + "): " + body, e);
            }
        }
    }

    /** One series of a query answer: its tags and its points, timestamp in ms to the value as the TSD wrote it in JSON. */
    public record Series(String metric, Map<String, String> tags, Map<Long, JsonNode> points) {
    }

    /**
     * Sends lines over one telnet connection, then {@code version}, and returns every line the TSD
     * answered before the version banner: its error lines for the puts, in order. The TSD handles the
     * lines of a connection in order, so when the banner arrives it has handled every put.
     */
    public List<String> telnet(List<String> lines) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(host, port), 5_000);
            socket.setSoTimeout(30_000);
            OutputStream out = socket.getOutputStream();
            StringBuilder text = new StringBuilder();
            for (String line : lines) {
                text.append(line).append('\n');
            }
            text.append("version\n");
            out.write(text.toString().getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.ISO_8859_1));
            List<String> replies = new ArrayList<>();
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                if (line.startsWith("net.opentsdb")) {
                    return replies;
                }
                replies.add(line);
            }
            throw new IOException("Connection closed before the version banner; replies so far: " + replies);
        } catch (IOException e) {
            throw new UncheckedIOException("Telnet to " + host + ":" + port + " failed: " + e.getMessage(), e);
        }
    }

    /** POSTs a JSON body to a path such as {@code /api/put?details&sync}, gzip'ed if asked. */
    public Response post(String pathAndQuery, String json, boolean gzip) {
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        HttpRequest.Builder request = HttpRequest.newBuilder(uri(pathAndQuery))
                .timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json");
        if (gzip) {
            body = gzip(body);
            request.header("Content-Encoding", "gzip");
        }
        return send(request.POST(HttpRequest.BodyPublishers.ofByteArray(body)).build());
    }

    public Response get(String pathAndQuery) {
        return send(HttpRequest.newBuilder(uri(pathAndQuery)).timeout(Duration.ofSeconds(60)).GET().build());
    }

    /**
     * Every series of the metric in {@code [startMs, endMs]} by its tags, each its timestamps to values in order: what the tests
     * compare, one TSD with another.
     */
    public Map<String, Map<Long, JsonNode>> pointsBySeries(String metric, long startMs, long endMs) {
        Map<String, Map<Long, JsonNode>> series = new TreeMap<>();
        for (Series s : query(metric, startMs, endMs)) {
            series.put(s.tags().toString(), new TreeMap<>(s.points()));
        }
        return series;
    }

    /**
     * Every series of the metric in {@code [startMs, endMs]}, unaggregated ({@code none} aggregator),
     * with millisecond timestamps. A metric the TSD has never seen gives no series.
     */
    public List<Series> query(String metric, long startMs, long endMs) {
        String body = JSON.createObjectNode()
                .put("start", startMs).put("end", endMs).put("msResolution", true)
                .set("queries", JSON.createArrayNode().add(JSON.createObjectNode()
                        .put("aggregator", "none").put("metric", metric)))
                .toString();
        Response response = post("/api/query", body, false);
        if (response.status() == 400 && response.body().contains("No such name for 'metrics'")) {
            return List.of();
        }
        if (response.status() != 200) {
            throw new IllegalStateException("Query of " + metric + " failed: HTTP " + response.status() + " " + response.body());
        }
        List<Series> series = new ArrayList<>();
        for (JsonNode node : response.json()) {
            Map<String, String> tags = new TreeMap<>();
            node.path("tags").fields().forEachRemaining(tag -> tags.put(tag.getKey(), tag.getValue().asText()));
            Map<Long, JsonNode> points = new TreeMap<>();
            node.path("dps").fields().forEachRemaining(point -> points.put(Long.parseLong(point.getKey()), point.getValue()));
            series.add(new Series(node.path("metric").asText(), tags, points));
        }
        return series;
    }

    private URI uri(String pathAndQuery) {
        return URI.create("http://" + host + ":" + port + pathAndQuery);
    }

    private Response send(HttpRequest request) {
        try {
            HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            return new Response(response.statusCode(), response.body());
        } catch (IOException e) {
            throw new UncheckedIOException(request.method() + " " + request.uri() + " failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted: " + request.method() + " " + request.uri(), e);
        }
    }

    private static byte[] gzip(byte[] bytes) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream zip = new GZIPOutputStream(out)) {
            zip.write(bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
