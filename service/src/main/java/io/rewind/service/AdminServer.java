package io.rewind.service;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import io.rewind.service.tls.ServerTls;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;

/**
 * A component's admin port: {@code /metrics} (Prometheus text format), {@code /healthz} (200 while the
 * component works, 503 with the reason when it does not) and {@code /readyz} (200 once it serves). Over HTTPS when its
 * TLS settings ({@code admin.tls.*}) say so, with client certificates when asked.
 */
public final class AdminServer implements AutoCloseable {
    private final HttpServer server;
    private final ExecutorService executor;
    private final Optional<ServerTls> tls;

    /** Whether something is fine, and if not, why, in one line. */
    public record Health(boolean ok, String detail) {
        public static Health ok(String detail) {
            return new Health(true, detail);
        }

        public static Health failing(String detail) {
            return new Health(false, detail);
        }
    }

    private AdminServer(HttpServer server, ExecutorService executor, Optional<ServerTls> tls) {
        this.server = server;
        this.executor = executor;
        this.tls = tls;
    }

    /** Starts serving plain HTTP on the host and port (0 picks a free port). */
    public static AdminServer start(String host, int port, PrometheusMeterRegistry registry, Supplier<Health> health,
            Supplier<Health> ready) throws IOException {
        return start(host, port, ServerTls.Settings.off("admin.tls."), registry, health, ready);
    }

    /** Starts serving on the host and port (0 picks a free port), over HTTPS when the TLS settings say so. */
    public static AdminServer start(String host, int port, ServerTls.Settings tlsSettings, PrometheusMeterRegistry registry,
            Supplier<Health> health, Supplier<Health> ready) throws IOException {
        Optional<ServerTls> tls = ServerTls.start(tlsSettings, "the admin port");
        InetSocketAddress address = new InetSocketAddress(host, port);
        HttpServer server;
        try {
            if (tls.isPresent()) {
                ServerTls serverTls = tls.get();
                SSLContext context = serverTls.sslContext();
                HttpsServer https = HttpsServer.create(address, 16);
                https.setHttpsConfigurator(new HttpsConfigurator(context) {
                    @Override
                    public void configure(HttpsParameters params) {
                        params.setSSLParameters(serverTls.parameters(context));
                    }
                });
                server = https;
            } else {
                server = HttpServer.create(address, 16);
            }
        } catch (IOException | RuntimeException e) {
            tls.ifPresent(ServerTls::close);
            throw e;
        }
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
        return new AdminServer(server, executor, tls);
    }

    public int port() {
        return server.getAddress().getPort();
    }

    /** {@code http} or {@code https}. */
    public String scheme() {
        return tls.isPresent() ? "https" : "http";
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
        tls.ifPresent(ServerTls::close);
    }
}
