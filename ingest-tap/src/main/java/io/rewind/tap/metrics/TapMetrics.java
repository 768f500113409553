package io.rewind.tap.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.rewind.tap.protocol.Rejection;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/** The tap's metrics ({@code rewind_tap_*} on the admin port's {@code /metrics}). */
public final class TapMetrics {
    /** Where points come from. */
    public enum Protocol {
        TELNET, HTTP;

        String label() {
            return this == TELNET ? "telnet" : "http";
        }
    }

    private final MeterRegistry registry;
    private final Map<Protocol, Counter> received = new EnumMap<>(Protocol.class);
    private final Map<String, Counter> rejected = new ConcurrentHashMap<>();
    private final Map<String, Counter> kafkaErrors = new ConcurrentHashMap<>();
    private final Map<String, Counter> upstreamErrors = new ConcurrentHashMap<>();
    private final Map<Protocol, AtomicInteger> connections = new EnumMap<>(Protocol.class);
    private final Map<Protocol, Timer> requestLatency = new EnumMap<>(Protocol.class);
    private final Counter published;
    private final Counter spooled;
    private final Counter drained;
    private final Counter missed;
    private final Counter blocked;
    private final Counter deadLettered;
    private final Timer publishLatency;

    public TapMetrics(MeterRegistry registry) {
        this.registry = registry;
        for (Protocol protocol : Protocol.values()) {
            received.put(protocol, Counter.builder("rewind.tap.points.received").tag("protocol", protocol.label())
                    .description("Points read from clients, valid or not").register(registry));
            AtomicInteger open = new AtomicInteger();
            connections.put(protocol, open);
            Gauge.builder("rewind.tap.connections", open, AtomicInteger::get).tag("protocol", protocol.label())
                    .description("Open client connections").register(registry);
        }
        requestLatency.put(Protocol.HTTP, Timer.builder("rewind.tap.request.latency").tag("protocol", "http")
                .description("From an HTTP request read to its response written, upstream and Kafka included")
                .publishPercentileHistogram().serviceLevelObjectives(Duration.ofMillis(5), Duration.ofMillis(50), Duration.ofMillis(500))
                .register(registry));
        published = Counter.builder("rewind.tap.points.published").description("Points acknowledged by Kafka (acks=all)").register(registry);
        spooled = Counter.builder("rewind.tap.points.spooled").description("Points written to the disk spool").register(registry);
        drained = Counter.builder("rewind.tap.points.drained").description("Points sent from the spool to Kafka").register(registry);
        missed = Counter.builder("rewind.tap.points.missed")
                .description("Points forwarded to OpenTSDB but not backed up: spool full with spool.full.policy=pass-through").register(registry);
        blocked = Counter.builder("rewind.tap.points.blocked").description("Points that waited for room in a full spool").register(registry);
        deadLettered = Counter.builder("rewind.tap.points.dead.lettered")
                .description("Points Kafka refuses for good (too large), kept in the spool directory's dead-letters and not archived")
                .register(registry);
        publishLatency = Timer.builder("rewind.tap.publish.latency").description("From handing points to the producer to Kafka's acknowledgement")
                .publishPercentileHistogram().register(registry);
    }

    public MeterRegistry registry() {
        return registry;
    }

    public void received(Protocol protocol, int points) {
        received.get(protocol).increment(points);
    }

    public void rejected(Protocol protocol, Rejection.Reason reason) {
        rejected.computeIfAbsent(protocol.label() + "/" + reason.label(), key -> Counter.builder("rewind.tap.points.rejected")
                .tag("protocol", protocol.label()).tag("reason", reason.label())
                .description("Points refused by the tap with OpenTSDB's error, not published").register(registry)).increment();
    }

    public void published(int points) {
        published.increment(points);
    }

    public void spooled(int points) {
        spooled.increment(points);
    }

    public void drained(int points) {
        drained.increment(points);
    }

    public void missed(int points) {
        missed.increment(points);
    }

    public void blocked(int points) {
        blocked.increment(points);
    }

    public void deadLettered(int points) {
        deadLettered.increment(points);
    }

    public void kafkaError(Throwable error) {
        String kind = error.getClass().getSimpleName();
        kafkaErrors.computeIfAbsent(kind, key -> Counter.builder("rewind.tap.kafka.errors").tag("kind", key)
                .description("Kafka failures, by exception").register(registry)).increment();
    }

    public void upstreamError(String kind) {
        upstreamErrors.computeIfAbsent(kind, key -> Counter.builder("rewind.tap.upstream.errors").tag("kind", key)
                .description("Failures talking to the upstream TSDs: connect, closed, timeout, no_upstream").register(registry)).increment();
    }

    public void publishLatency(long nanos) {
        publishLatency.record(nanos, TimeUnit.NANOSECONDS);
    }

    public void requestLatency(Protocol protocol, long nanos) {
        requestLatency.get(protocol).record(nanos, TimeUnit.NANOSECONDS);
    }

    public void connectionOpened(Protocol protocol) {
        connections.get(protocol).incrementAndGet();
    }

    public void connectionClosed(Protocol protocol) {
        connections.get(protocol).decrementAndGet();
    }

    public void spoolPending(Supplier<Long> bytes) {
        Gauge.builder("rewind.tap.spool.pending.bytes", () -> bytes.get()).baseUnit("bytes")
                .description("Bytes in the disk spool not yet in Kafka").register(registry);
    }

    public void upstreamsHealthy(Supplier<Integer> count) {
        Gauge.builder("rewind.tap.upstreams.healthy", () -> count.get())
                .description("Upstream TSDs that passed their last health check").register(registry);
    }

    public double publishedCount() {
        return published.count();
    }

    public double spooledCount() {
        return spooled.count();
    }
}
