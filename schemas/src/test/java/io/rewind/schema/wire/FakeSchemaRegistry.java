package io.rewind.schema.wire;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.avro.Schema;
import org.apache.avro.SchemaParseException;

/**
 * A Schema Registry for unit tests (no registry server can run here), following the documented REST
 * API: POST /subjects/{subject}/versions returns the schema's global id, the same id for the same
 * schema; GET /schemas/ids/{id} returns the schema; errors are JSON {error_code, message}.
 */
final class FakeSchemaRegistry implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpServer server;
    private final Map<String, Integer> idsBySchema = new ConcurrentHashMap<>();
    private final Map<Integer, String> schemasById = new ConcurrentHashMap<>();
    private final Map<String, List<Integer>> versionsBySubject = new ConcurrentHashMap<>();
    private final AtomicInteger nextId = new AtomicInteger(1);
    private final List<String> requests = new CopyOnWriteArrayList<>();
    private final List<String> authorizations = new CopyOnWriteArrayList<>();
    private volatile int failWithStatus;

    FakeSchemaRegistry() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", this::handle);
        server.start();
    }

    URI url() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    /** Requests served so far, as "METHOD /path". */
    List<String> requests() {
        return requests;
    }

    List<String> authorizations() {
        return authorizations;
    }

    /** Makes every following request fail with this HTTP status (0: answer normally). */
    void failWith(int status) {
        this.failWithStatus = status;
    }

    private void handle(HttpExchange exchange) throws IOException {
        String method = exchange.getRequestMethod();
        String path = exchange.getRequestURI().getRawPath();
        requests.add(method + " " + path);
        Optional.ofNullable(exchange.getRequestHeaders().getFirst("Authorization")).ifPresent(authorizations::add);
        try {
            if (failWithStatus != 0) {
                error(exchange, failWithStatus, failWithStatus * 100 + 1, "Injected failure");
                return;
            }
            String[] parts = path.split("/");
            if ("POST".equals(method) && parts.length == 4 && "subjects".equals(parts[1]) && "versions".equals(parts[3])) {
                register(exchange, java.net.URLDecoder.decode(parts[2], StandardCharsets.UTF_8));
            } else if ("GET".equals(method) && parts.length == 4 && "schemas".equals(parts[1]) && "ids".equals(parts[2])) {
                String schema = schemasById.get(Integer.parseInt(parts[3]));
                if (schema == null) {
                    error(exchange, 404, 40403, "Schema " + parts[3] + " not found");
                } else {
                    reply(exchange, 200, JSON.createObjectNode().put("schema", schema).toString());
                }
            } else {
                error(exchange, 404, 404, "HTTP 404 Not Found");
            }
        } finally {
            exchange.close();
        }
    }

    private void register(HttpExchange exchange, String subject) throws IOException {
        JsonNode body = JSON.readTree(exchange.getRequestBody());
        String text = body.path("schema").asText("");
        String canonical;
        try {
            canonical = new Schema.Parser().parse(text).toString();
        } catch (SchemaParseException e) {
            error(exchange, 422, 42201, "Either the input schema or one its references is invalid");
            return;
        }
        int id = idsBySchema.computeIfAbsent(canonical, s -> {
            int assigned = nextId.getAndIncrement();
            schemasById.put(assigned, s);
            return assigned;
        });
        List<Integer> versions = versionsBySubject.computeIfAbsent(subject, s -> new ArrayList<>());
        synchronized (versions) {
            if (!versions.contains(id)) {
                versions.add(id);
            }
        }
        reply(exchange, 200, JSON.createObjectNode().put("id", id).toString());
    }

    private static void error(HttpExchange exchange, int status, int code, String message) throws IOException {
        reply(exchange, status, JSON.createObjectNode().put("error_code", code).put("message", message).toString());
    }

    private static void reply(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", HttpSchemaRegistryClient.CONTENT_TYPE);
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
