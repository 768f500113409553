package io.rewind.tap.server;

import io.rewind.tap.config.TapConfig;
import io.rewind.tap.metrics.TapMetrics;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The upstream TSDs: one is chosen per client connection, round-robin over those that passed their
 * last health check (a TCP connect every {@code upstream.health.interval.ms}); when none did, over all
 * of them, so a check that is wrong never stops traffic. A failed connect moves on to the next.
 */
public final class Upstreams implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Upstreams.class);

    private final List<InetSocketAddress> addresses;
    private final AtomicReferenceArray<Boolean> healthy;
    private final AtomicInteger next = new AtomicInteger();
    private final ScheduledExecutorService checker;
    private final int connectTimeoutMs;

    public Upstreams(List<InetSocketAddress> addresses, long healthIntervalMs, long connectTimeoutMs, TapMetrics metrics) {
        this.addresses = List.copyOf(addresses);
        this.healthy = new AtomicReferenceArray<>(addresses.size());
        this.connectTimeoutMs = (int) connectTimeoutMs;
        for (int i = 0; i < addresses.size(); i++) {
            healthy.set(i, true);
        }
        this.checker = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "rewind-upstream-health");
            t.setDaemon(true);
            return t;
        });
        metrics.upstreamsHealthy(this::healthyCount);
        if (!addresses.isEmpty()) {
            checker.scheduleWithFixedDelay(() -> check(metrics), healthIntervalMs, healthIntervalMs, TimeUnit.MILLISECONDS);
        }
    }

    private void check(TapMetrics metrics) {
        for (int i = 0; i < addresses.size(); i++) {
            InetSocketAddress address = addresses.get(i);
            boolean ok;
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress(address.getHostString(), address.getPort()), connectTimeoutMs);
                ok = true;
            } catch (IOException e) {
                ok = false;
            }
            Boolean was = healthy.getAndSet(i, ok);
            if (was != ok) {
                if (ok) {
                    LOG.info("Upstream TSD {} is reachable again", TapConfig.hostPort(address));
                } else {
                    metrics.upstreamError("health_check");
                    LOG.warn("Upstream TSD {} is not reachable: new connections go to the others", TapConfig.hostPort(address));
                }
            }
        }
    }

    /** The upstreams to try for a new connection, in order: healthy ones first, starting at the round-robin position. */
    public List<InetSocketAddress> order() {
        int start = Math.floorMod(next.getAndIncrement(), addresses.size());
        List<InetSocketAddress> up = new ArrayList<>();
        List<InetSocketAddress> down = new ArrayList<>();
        for (int i = 0; i < addresses.size(); i++) {
            int index = (start + i) % addresses.size();
            (healthy.get(index) ? up : down).add(addresses.get(index));
        }
        up.addAll(down);
        return up;
    }

    /** How many upstreams passed their last health check. */
    public int healthyCount() {
        int count = 0;
        for (int i = 0; i < addresses.size(); i++) {
            if (healthy.get(i)) {
                count++;
            }
        }
        return count;
    }

    public boolean anyHealthy() {
        for (int i = 0; i < addresses.size(); i++) {
            if (healthy.get(i)) {
                return true;
            }
        }
        return addresses.isEmpty();
    }

    public int connectTimeoutMs() {
        return connectTimeoutMs;
    }

    @Override
    public void close() {
        checker.shutdownNow();
    }
}
