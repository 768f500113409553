package io.rewind.restore.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.rewind.archive.storage.Storage;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.zip.GZIPInputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code rewind serve}: OpenTSDB 2.4's read API over the archive, read-only: {@code /api/query} (GET and POST, with one
 * addition, {@code as_of}), {@code /api/suggest}, {@code /api/search/lookup}, {@code /api/version}, {@code /api/aggregators}
 * and {@code /api/config/filters}. Grafana's OpenTSDB data source pointed at it plots the archive as it was at any moment.
 */
public final class ServeServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ServeServer.class);

    static {
        // The JDK's server writes a response's headers and body apart: without TCP_NODELAY each answer waits out the client's
        // delayed acknowledgement (40 ms on Linux). Read once, when the JDK's server is first used.
        System.setProperty("sun.net.httpserver.nodelay", "true");
    }
    static final ObjectMapper JSON = new ObjectMapper();

    private final HttpServer server;
    private final ExecutorService executor;
    private final Storage storage;
    private final QueryEngine engine;
    private final Catalogs catalogs;

    private ServeServer(HttpServer server, ExecutorService executor, Storage storage, String topic, long cachePoints) {
        this.server = server;
        this.executor = executor;
        this.storage = storage;
        ServeCache cache = new ServeCache(cachePoints);
        this.catalogs = new Catalogs(storage, topic, cache);
        this.engine = new QueryEngine(new ArchiveSeries(storage, topic, cache), catalogs);
    }

    /** The decoded points kept between queries by default: about 24 bytes each. */
    public static final long DEFAULT_CACHE_POINTS = 10_000_000;

    /** Serves the topic's archive on the host and port (0 picks a free one); closing the server closes the storage. */
    public static ServeServer start(Storage storage, String topic, String host, int port) throws IOException {
        return start(storage, topic, host, port, DEFAULT_CACHE_POINTS);
    }

    /** As {@link #start(Storage, String, String, int)}, keeping up to {@code cachePoints} decoded points between queries. */
    public static ServeServer start(Storage storage, String topic, String host, int port, long cachePoints) throws IOException {
        HttpServer http = HttpServer.create(new InetSocketAddress(host, port), 64);
        ExecutorService executor = Executors.newFixedThreadPool(Math.max(2, Runtime.getRuntime().availableProcessors()), r -> {
            Thread t = new Thread(r, "rewind-serve");
            t.setDaemon(true);
            return t;
        });
        ServeServer serve = new ServeServer(http, executor, storage, topic, cachePoints);
        http.createContext("/", serve::handle);
        http.setExecutor(executor);
        http.start();
        return serve;
    }

    public int port() {
        return server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
        try {
            storage.close();
        } catch (IOException e) {
            LOG.warn("Closing the archive's storage: {}", e.getMessage());
        }
    }

    private void handle(HttpExchange exchange) throws IOException {
        String path = exchange.getRequestURI().getPath();
        Map<String, List<String>> params = parameters(exchange.getRequestURI().getRawQuery());
        try {
            switch (path.endsWith("/") && path.length() > 1 ? path.substring(0, path.length() - 1) : path) {
                case "/api/query" -> respond(exchange, 200, engine.query(requestJson(exchange), params));
                case "/api/suggest" -> respond(exchange, 200, suggest(requestJson(exchange), params));
                case "/api/search/lookup" -> respond(exchange, 200, engine.lookup(requestJson(exchange), params));
                case "/api/version" -> respond(exchange, 200, version());
                case "/api/aggregators" -> respond(exchange, 200, OpenTsdbApi.aggregators());
                case "/api/config/filters" -> respond(exchange, 200, OpenTsdbApi.filters());
                default -> throw new OpenTsdbApi.ApiException(404, "Endpoint not found", "");
            }
        } catch (OpenTsdbApi.ApiException e) {
            respond(exchange, e.status(), OpenTsdbApi.error(e.status(), e.getMessage(), e.details()));
        } catch (IllegalArgumentException e) {
            respond(exchange, 400, OpenTsdbApi.error(400, e.getMessage(), ""));
        } catch (RuntimeException | IOException e) {
            LOG.warn("{} {}: {}", exchange.getRequestMethod(), exchange.getRequestURI(), e.toString(), e);
            respond(exchange, 500, OpenTsdbApi.error(500, String.valueOf(e.getMessage()), ""));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            respond(exchange, 503, OpenTsdbApi.error(503, "The server is stopping", ""));
        } finally {
            exchange.close();
        }
    }

    private JsonNode suggest(JsonNode body, Map<String, List<String>> params) throws IOException {
        String type = body != null ? body.path("type").asText(null) : first(params, "type");
        String q = body != null ? body.path("q").asText("") : first(params, "q");
        String max = body != null && body.has("max") ? body.path("max").asText() : first(params, "max");
        if (type == null || type.isEmpty()) {
            throw new OpenTsdbApi.ApiException(400, "Missing 'type' parameter", "");
        }
        int limit;
        try {
            limit = max == null || max.isEmpty() ? 25 : Integer.parseInt(max);
        } catch (NumberFormatException e) {
            throw new OpenTsdbApi.ApiException(400, "Invalid 'max' parameter: " + max, "");
        }
        ArrayNode out = JSON.createArrayNode();
        catalogs.current().suggest(type, q == null ? "" : q, limit).forEach(out::add);
        return out;
    }

    private static JsonNode version() {
        ObjectNode node = JSON.createObjectNode();
        node.put("version", "2.4.1").put("short_revision", "rewind").put("full_revision", "rewind-serve")
                .put("timestamp", "0").put("repo_status", "MINT").put("user", "rewind").put("host", "rewind")
                .put("repo", "rewind serve: the archive, read-only").put("branch", "rewind");
        return node;
    }

    private static JsonNode requestJson(HttpExchange exchange) throws IOException {
        if (!"POST".equalsIgnoreCase(exchange.getRequestMethod())) {
            return null;
        }
        InputStream in = exchange.getRequestBody();
        if ("gzip".equalsIgnoreCase(exchange.getRequestHeaders().getFirst("Content-Encoding"))) {
            in = new GZIPInputStream(in);
        }
        byte[] bytes = in.readAllBytes();
        if (bytes.length == 0) {
            return null;
        }
        try {
            return JSON.readTree(bytes);
        } catch (IOException e) {
            throw new OpenTsdbApi.ApiException(400, "Unable to parse the given JSON", e.getMessage());
        }
    }

    static String first(Map<String, List<String>> params, String name) {
        List<String> values = params.get(name);
        return values == null || values.isEmpty() ? null : values.get(0);
    }

    static Map<String, List<String>> parameters(String rawQuery) {
        Map<String, List<String>> params = new LinkedHashMap<>();
        if (rawQuery == null || rawQuery.isEmpty()) {
            return params;
        }
        for (String pair : rawQuery.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String name = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            params.computeIfAbsent(name, n -> new ArrayList<>()).add(value);
        }
        return params;
    }

    private static void respond(HttpExchange exchange, int status, JsonNode body) throws IOException {
        respond(exchange, status, JSON.writeValueAsBytes(body));
    }

    private static void respond(HttpExchange exchange, int status, byte[] bytes) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", "application/json; charset=UTF-8");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    /** The catalog of names, read again when older than a minute (the archiver commits new series meanwhile). */
    static final class Catalogs {
        private static final long TTL_MS = 60_000;
        private static final long MIN_REFRESH_MS = 5_000;
        private final Storage storage;
        private final String topic;
        private final ServeCache cache;
        private final SeriesCatalog catalog = new SeriesCatalog();
        private long readAtMs;

        Catalogs(Storage storage, String topic, ServeCache cache) {
            this.storage = storage;
            this.topic = topic;
            this.cache = cache;
        }

        synchronized SeriesCatalog current() throws IOException {
            long now = System.currentTimeMillis();
            if (readAtMs == 0 || now - readAtMs > TTL_MS) {
                return refreshed();
            }
            return catalog;
        }

        /**
         * Read again: a name a query asks for that the catalog lacks may have been archived since. At most every
         * {@value #MIN_REFRESH_MS} ms, so that queries for names that do not exist cannot keep it listing the archive.
         */
        synchronized SeriesCatalog refreshed() throws IOException {
            if (readAtMs != 0 && System.currentTimeMillis() - readAtMs < MIN_REFRESH_MS) {
                return catalog;
            }
            catalog.addNewFiles(storage, topic, cache.headers());
            readAtMs = System.currentTimeMillis();
            return catalog;
        }
    }
}
