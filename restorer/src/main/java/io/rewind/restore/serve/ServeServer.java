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
import java.util.Set;
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
    /** The largest request body read, gzip'ed or not: a query is a few kilobytes. */
    static final int MAX_BODY_BYTES = 1 << 20;

    private final HttpServer server;
    private final String listenHost;
    private final ExecutorService executor;
    private final Storage storage;
    private final QueryEngine engine;
    private final Catalogs catalogs;

    private ServeServer(HttpServer server, ExecutorService executor, Storage storage, String topic, long cachePoints, String listenHost) {
        this.listenHost = listenHost.toLowerCase(java.util.Locale.ROOT);
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
        ServeServer serve = new ServeServer(http, executor, storage, topic, cachePoints, host);
        http.createContext("/", serve::handle);
        http.setExecutor(executor);
        http.start();
        return serve;
    }

    public int port() {
        return server.getAddress().getPort();
    }

    /** Whether the names of every file listed at the start have been read (until then suggest answers with fewer). */
    public boolean namesRead() {
        return catalogs.loaded();
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
        catalogs.close();
        try {
            storage.close();
        } catch (IOException e) {
            LOG.warn("Closing the archive's storage: {}", e.getMessage());
        }
    }

    private void handle(HttpExchange exchange) throws IOException {
        try {
            String path = exchange.getRequestURI().getPath();
            refuseForeignPages(exchange);
            Map<String, List<String>> params = parameters(exchange.getRequestURI().getRawQuery());
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
        } catch (RuntimeException | IOException | Error e) {
            LOG.warn("{} {}: {}", exchange.getRequestMethod(), exchange.getRequestURI(), e.toString(), e);
            try {
                respond(exchange, 500, OpenTsdbApi.error(500, String.valueOf(e.getMessage()), ""));
            } catch (IOException | RuntimeException | Error ignored) {
                // the answer could not be written either: the connection closes
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            respond(exchange, 503, OpenTsdbApi.error(503, "The server is stopping", ""));
        } finally {
            exchange.close();
        }
    }

    /**
     * Refuses what a web page the operator has open could send: a request naming another host than the one serve listens
     * on, when that is a loopback address (a DNS rebinding), and a request from another origin (a cross-site POST).
     * Grafana's server-side proxy and command-line clients send neither.
     */
    private void refuseForeignPages(HttpExchange exchange) {
        String host = exchange.getRequestHeaders().getFirst("Host");
        java.net.InetAddress bound = server.getAddress().getAddress();
        if (bound.isLoopbackAddress() && host != null) {
            String name = (host.startsWith("[") ? host.substring(0, host.indexOf(']') + 1) : host.replaceFirst(":\\d+$", ""))
                    .toLowerCase(java.util.Locale.ROOT).replaceFirst("\\.$", "");
            boolean local = name.equals("localhost") || name.equals("[::1]") || name.matches("127(\\.\\d{1,3}){3}")
                    || name.equals(listenHost) || name.equals(bound.getHostAddress());
            if (!local) {
                throw new OpenTsdbApi.ApiException(403, "Host '" + host + "' is not this server's: serve listens on a loopback address", "");
            }
        }
        String origin = exchange.getRequestHeaders().getFirst("Origin");
        if (origin != null && host != null && !origin.replaceFirst("^[a-zA-Z]+://", "").equalsIgnoreCase(host)) {
            throw new OpenTsdbApi.ApiException(403, "Requests from another origin (" + origin + ") are refused", "");
        }
    }

    private JsonNode suggest(JsonNode body, Map<String, List<String>> params) {
        String type = body != null ? body.path("type").asText(null) : first(params, "type");
        String q = body != null ? body.path("q").asText("") : first(params, "q");
        String max = body != null && body.has("max") ? body.path("max").asText() : first(params, "max");
        if (type == null || type.isEmpty()) {
            throw new OpenTsdbApi.ApiException(400, body != null ? "Missing 'type' parameter" : "Missing parameter <code>type</code>", "");
        }
        int limit;
        try {
            limit = max == null || max.isEmpty() ? 25 : Integer.parseInt(max);
        } catch (NumberFormatException e) {
            throw new OpenTsdbApi.ApiException(400, "Unable to parse 'max' as a number", "");
        }
        if (limit <= 0) {
            limit = 25; // as OpenTSDB
        }
        ArrayNode out = JSON.createArrayNode();
        catalogs.current().suggest(type, q == null ? "" : q, limit).forEach(out::add); // while the first reading runs, what it read
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
        byte[] bytes = in.readNBytes(MAX_BODY_BYTES + 1);
        if (bytes.length > MAX_BODY_BYTES) {
            throw new OpenTsdbApi.ApiException(413, "The request's body is larger than " + MAX_BODY_BYTES + " bytes", "");
        }
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

    /**
     * The catalog of names: read in the background from the start (each file once), then every minute for the files
     * archived since; and at once, at most every {@value #MIN_REFRESH_MS} ms, when a query names what it lacks.
     */
    static final class Catalogs implements AutoCloseable {
        private static final long INTERVAL_MS = 60_000;
        private static final long MIN_REFRESH_MS = 5_000;
        private final Storage storage;
        private final String topic;
        private final ServeCache cache;
        private final SeriesCatalog catalog = new SeriesCatalog();
        private final java.util.concurrent.CountDownLatch loaded = new java.util.concurrent.CountDownLatch(1);
        private final java.util.concurrent.ScheduledExecutorService refresher;
        private long readAtMs;

        Catalogs(Storage storage, String topic, ServeCache cache) {
            this.storage = storage;
            this.topic = topic;
            this.cache = cache;
            this.refresher = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "rewind-serve-names");
                t.setDaemon(true);
                return t;
            });
            refresher.scheduleWithFixedDelay(() -> {
                try {
                    refresh(0);
                } catch (IOException | RuntimeException | Error e) { // an Error would end the schedule for good
                    LOG.warn("Reading the archive's names: {}", e.toString());
                } finally {
                    loaded.countDown();
                }
            }, 0, INTERVAL_MS, java.util.concurrent.TimeUnit.MILLISECONDS);
        }

        /** Whether every file listed at the start has been read. */
        boolean loaded() {
            return loaded.getCount() == 0;
        }

        /** The catalog as read so far: all of it once {@link #loaded()}. */
        SeriesCatalog current() {
            return catalog;
        }

        /** Read again: a name a query asks for that the catalog lacks may have been archived since. Never waits for the first reading. */
        SeriesCatalog refreshed() throws IOException {
            if (loaded()) {
                refresh(MIN_REFRESH_MS);
            }
            return catalog;
        }

        private synchronized void refresh(long unlessYoungerThanMs) throws IOException {
            if (readAtMs != 0 && System.currentTimeMillis() - readAtMs < unlessYoungerThanMs) {
                return;
            }
            catalog.addNewFiles(storage, topic, cache.headers());
            readAtMs = System.currentTimeMillis();
        }

        @Override
        public void close() {
            refresher.shutdownNow();
        }
    }
}
