package io.rewind.restore.targets;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import io.rewind.archive.storage.Backoff;
import io.rewind.service.RejectFile;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes batches of points to OpenTSDB targets over HTTP ({@code /api/put}, {@code /api/rollup},
 * {@code /api/histogram} with {@code ?details}, gzip'ed unless told not to), the way an operator would want a restore to
 * behave against a cluster under load:
 * <ul>
 *   <li>connection errors, timeouts, 5xx and 429 are retried with exponential backoff and jitter, each
 *       attempt on the next target, until {@code maxAttempts};</li>
 *   <li>points the target refuses ({@code errors} of {@code ?details}) go to the reject file with the
 *       target's reason; points it did not store (a failure of its HBase, a {@code sync} timeout, whatever the status
 *       it answers them with) are retried as a 5xx is, never counted refused;</li>
 *   <li>a batch refused as a whole (a body too large, such as a TSD without chunked requests
 *       answering "Chunked request not supported.") is split in halves until the pieces are accepted
 *       or a single point is refused, which is then a reject.</li>
 * </ul>
 * With {@code sync} the target answers only when the points are stored, so an acknowledged batch is
 * one a checkpoint may count as finished.
 */
public final class HttpTarget implements Target {
    private static final Logger log = LoggerFactory.getLogger(HttpTarget.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** How to reach the targets. */
    public record Settings(List<URI> targets, boolean sync, boolean gzip, Duration timeout, int maxAttempts, Duration backoffMin,
            Duration backoffMax) {
        public Settings {
            targets = List.copyOf(targets);
            if (targets.isEmpty()) {
                throw new IllegalArgumentException("no --target");
            }
        }
    }

    private final Settings settings;
    private final RejectFile rejects;
    private final HttpClient http;
    private final AtomicInteger nextTarget = new AtomicInteger();
    private final AtomicBoolean splitExplained = new AtomicBoolean();
    private final AtomicLong retries = new AtomicLong();

    public HttpTarget(Settings settings, RejectFile rejects) {
        this(settings, rejects, httpClient());
    }

    /** A writer on a client that outlives it: runs that follow one another (drill --every) share its connections. */
    public HttpTarget(Settings settings, RejectFile rejects, HttpClient http) {
        this.settings = settings;
        this.rejects = rejects;
        this.http = http;
    }

    /** The HTTP client a restore talks to OpenTSDB with. */
    public static HttpClient httpClient() {
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build();
    }

    @Override
    public long retries() {
        return retries.get();
    }

    /** Writes a batch as a JSON array; returns the number of points the target refused. */
    @Override
    public int write(Batch batch) throws IOException, InterruptedException {
        String path = switch (batch.kind()) {
            case PUT -> "/api/put";
            case ROLLUP -> "/api/rollup";
            case HISTOGRAM -> "/api/histogram";
        };
        String query = "?details" + (settings.sync() ? "&sync&sync_timeout=" + settings.timeout().toMillis() : "");
        return write(path + query, batch.json(), batch.points());
    }

    private int write(String pathAndQuery, byte[] jsonArray, int points) throws IOException, InterruptedException {
        Answer answer = send(pathAndQuery, settings.gzip() ? gzip(jsonArray) : jsonArray);
        if (answer.status / 100 == 2) {
            return 0;
        }
        JsonNode body = parse(answer.body);
        if (body != null && body.has("errors") && body.has("failed")) {
            int failed = 0;
            for (JsonNode error : body.get("errors")) {
                rejects.reject(error.path("datapoint"), error.path("error").asText(), answer.target.toString());
                failed++;
            }
            return failed;
        }
        String reason = body != null && body.path("error").has("message") ? body.path("error").path("message").asText()
                : answer.body.strip();
        if (answer.status != 400 && answer.status != 413) {
            throw new IOException(answer.target + pathAndQuery + " answered HTTP " + answer.status + ": " + reason);
        }
        ArrayNode array = (ArrayNode) JSON.readTree(jsonArray);
        if (array.size() <= 1) {
            rejects.reject(array.isEmpty() ? JSON.nullNode() : array.get(0), reason, answer.target.toString());
            return 1;
        }
        if (splitExplained.compareAndSet(false, true)) {
            log.warn("{} refused a batch of {} points as a whole ({}); writing smaller batches.{}", answer.target, points, reason,
                    reason.contains("Chunked request not supported")
                            ? " To accept large batches, set tsd.http.request.enable_chunked = true and tsd.http.request.max_chunk"
                                    + " to at least the batch's size in the TSD's configuration, or pass a smaller --batch-size."
                            : "");
        }
        int half = array.size() / 2;
        ArrayNode first = JSON.createArrayNode();
        ArrayNode second = JSON.createArrayNode();
        for (int i = 0; i < array.size(); i++) {
            (i < half ? first : second).add(array.get(i));
        }
        return write(pathAndQuery, JSON.writeValueAsBytes(first), half)
                + write(pathAndQuery, JSON.writeValueAsBytes(second), array.size() - half);
    }

    private record Answer(URI target, int status, String body) {
    }

    private Answer send(String pathAndQuery, byte[] body) throws IOException, InterruptedException {
        Backoff backoff = new Backoff(settings.backoffMin(), settings.backoffMax());
        Exception last = null;
        for (int attempt = 1; attempt <= settings.maxAttempts(); attempt++) {
            URI target = settings.targets().get(Math.floorMod(nextTarget.getAndIncrement(), settings.targets().size()));
            HttpRequest.Builder request = HttpRequest.newBuilder(target.resolve(pathAndQuery))
                    .timeout(settings.timeout().plusSeconds(5))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body));
            if (settings.gzip()) {
                request.header("Content-Encoding", "gzip");
            }
            try {
                HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
                int status = response.statusCode();
                String notStored = status == 429 || status / 100 == 5 ? null : notStored(response.body());
                if (status != 429 && status / 100 != 5 && notStored == null) {
                    return new Answer(target, status, response.body());
                }
                last = new IOException(target + " answered HTTP " + status + ": "
                        + (notStored != null ? notStored : abbreviate(response.body())));
            } catch (ConnectException | HttpTimeoutException e) {
                last = e;
            } catch (IOException e) {
                last = e;
            }
            if (attempt < settings.maxAttempts()) {
                retries.incrementAndGet();
                log.debug("attempt {} failed, retrying in {} ms: {}", attempt, backoff.delayMs(), last.getMessage());
                backoff.pause();
            }
        }
        throw new TargetUnavailableException("no target accepted a batch after " + settings.maxAttempts() + " attempts; last: "
                + (last.getMessage() == null ? last.getClass().getSimpleName() : last.getMessage()), last);
    }

    /**
     * Why the TSD did not store points it does not refuse, or null: a failure of its storage or a {@code sync} write that
     * timed out is reported among the points' errors ({@code ?details}), with HTTP 200 or 400, and with a count of
     * {@code timeouts}. Such points are not refused: the batch is written again, as after a 5xx, and never counted written
     * or rejected until the TSD has stored it.
     */
    static String notStored(String body) {
        if (body == null || !body.contains("\"failed\"") && !body.contains("\"timeouts\"")) {
            return null;
        }
        JsonNode answer = parse(body);
        if (answer == null) {
            return null;
        }
        if (answer.path("timeouts").asLong() > 0) {
            return answer.path("timeouts").asLong() + " point(s) not stored before the sync timeout";
        }
        for (JsonNode error : answer.path("errors")) {
            String reason = error.path("error").asText();
            if (STORAGE_FAILURE.matcher(reason).find()) {
                return "point(s) not stored: " + abbreviate(reason);
            }
        }
        return null;
    }

    /**
     * The reasons a TSD gives for points its storage did not take, as opposed to points it refuses: by how they begin, since
     * the reasons it refuses a point for quote the point's own metric and tags.
     */
    private static final java.util.regex.Pattern STORAGE_FAILURE = java.util.regex.Pattern.compile(
            "(?i)^\\s*(storage exception|write timed ?out|timeout|please throttle|hbase)");

    private static JsonNode parse(String body) {
        try {
            return JSON.readTree(body);
        } catch (IOException notJson) {
            return null;
        }
    }

    private static String abbreviate(String text) {
        String s = text.strip();
        return s.length() > 300 ? s.substring(0, 300) + "..." : s;
    }

    /** Gzip at the fastest level: restore bodies are repetitive JSON, and CPU is shared with the reader. */
    static byte[] gzip(byte[] bytes) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(bytes.length / 6 + 64);
        try (GZIPOutputStream gzip = new GZIPOutputStream(out, 64 * 1024) {
            {
                def.setLevel(Deflater.BEST_SPEED);
            }
        }) {
            gzip.write(bytes);
        }
        return out.toByteArray();
    }
}
