package io.rewind.service;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * A component's admin port: {@code /metrics} (Prometheus text format), {@code /healthz} (200 while the
 * component works, 503 with the reason when it does not) and {@code /readyz} (200 once it serves).
 */
public final class AdminServer implements AutoCloseable {
    private final HttpServer server;
    private final ExecutorService executor;

    /** Whether something is fine, and if not, why, in one line. */
    public record Health(boolean ok, String detail) {
        public static Health ok(String detail) {
            return new Health(true, detail);
        }

        public static Health failing(String detail) {
            return new Health(false, detail);
        }
    }

    private AdminServer(HttpServer server, ExecutorService executor) {
        this.server = server;
        this.executor = executor;
    }

    /** Starts serving on the host and port (0 picks a free port). */
    public static AdminServer start(String host, int port, PrometheusMeterRegistry registry, Supplier<Health> health,
            Supplier<Health> ready) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(host, port), 16);
        server.createContext("/metrics", exchange -> respond(exchange, 200, "text/plain; version=0.0.4; charset=utf-8", registry.scrape()));
        server.createContext("/healthz", exchange -> respond(exchange, health.get()));
        server.createContext("/readyz", exchange -> respond(exchange, ready.get()));
        server.createContext("/", exchange -> respond(exchange, 404, "text/plain; charset=utf-8",
                "Not found. This admin port serves /metrics, /healthz and /readyz.\n"));
        ExecutorService executor = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "rewind-admin");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.start();
        return new AdminServer(server, executor);
    }

    public int port() {
        return server.getAddress().getPort();
    }

    private static void respond(HttpExchange exchange, Health health) throws IOException {
        respond(exchange, health.ok() ? 200 : 503, "text/plain; charset=utf-8", (health.ok() ? "ok" : "failing") + ": " + health.detail() + "\n");
    }

    private static void respond(HttpExchange exchange, int status, String type, String body) throws IOException {
        try (exchange) {
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", type);
            boolean head = "HEAD".equals(exchange.getRequestMethod());
            exchange.sendResponseHeaders(status, head ? -1 : bytes.length);
            if (!head) {
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(bytes);
                }
            }
        }
    }

    /** Stops serving and ends the threads that answered. */
    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
