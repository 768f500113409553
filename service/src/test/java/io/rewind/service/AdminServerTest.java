package io.rewind.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class AdminServerTest {
    @Test
    void answersHealthAndLeavesNoThreadBehindWhenClosed() throws Exception {
        Set<Thread> before = new HashSet<>(Thread.getAllStackTraces().keySet());
        AdminServer admin = AdminServer.start(InetAddress.getLoopbackAddress().getHostAddress(), 0, new PrometheusMeterRegistry(PrometheusConfig.DEFAULT),
                () -> AdminServer.Health.ok("points go to Kafka"), () -> AdminServer.Health.failing("no upstream TSD is reachable"));
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> health = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin.port() + "/healthz")).build(),
                HttpResponse.BodyHandlers.ofString());
        HttpResponse<String> ready = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin.port() + "/readyz")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(health.body()).isEqualTo("ok: points go to Kafka\n");
        assertThat(ready.statusCode()).isEqualTo(503);
        assertThat(ready.body()).isEqualTo("failing: no upstream TSD is reachable\n");
        admin.close();
        for (Thread thread : Thread.getAllStackTraces().keySet()) {
            if (!before.contains(thread) && thread.getName().startsWith("rewind-admin")) {
                thread.join(10_000);
                assertThat(thread.isAlive()).as("thread " + thread.getName() + " still runs").isFalse();
            }
        }
    }
}
