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
    private final Counter gapMetricHours;
    private final Counter gapsPublished;
    private final Timer publishLatency;
    /** Held here: a gauge keeps only a weak reference to what it reads, and would read NaN once it is collected. */
    private SpoolFill spoolFill;

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
                .description("Points forwarded to OpenTSDB but not backed up (spool full with spool.full.policy=pass-through, the tap stopped"
                        + " with points it could not keep): each is in a gap, healed by rewind heal").register(registry);
        blocked = Counter.builder("rewind.tap.points.blocked").description("Points that waited for room in a full spool").register(registry);
        deadLettered = Counter.builder("rewind.tap.points.dead.lettered")
                .description("Points Kafka refuses for good (too large), kept in the spool directory's dead-letters and not archived")
                .register(registry);
        gapMetricHours = Counter.builder("rewind.tap.gaps.recorded")
                .description("Metric-hours in which the tap let points through to OpenTSDB without getting them into Kafka (each a gap to heal)")
                .register(registry);
        gapsPublished = Counter.builder("rewind.tap.gaps.published")
                .description("Gaps published to the gaps topic, for the archive to know and rewind heal to close").register(registry);
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

    public void gapMetricHour() {
        gapMetricHours.increment();
    }

    public void gapsPublished(int gaps) {
        gapsPublished.increment(gaps);
    }

    public void gapsOpen(Supplier<Integer> metricHours) {
        Gauge.builder("rewind.tap.gaps.open", () -> metricHours.get())
                .description("Metric-hours of points let through without backup that are not in the gaps topic yet (kept in the spool directory)")
                .register(registry);
    }

    /**
     * The spool's capacity ({@code spool.max.bytes}) and how long until it is full at the rate it filled over the last minute:
     * +Inf while it is not filling.
     */
    public void spoolCapacity(long capacityBytes, Supplier<Long> pendingBytes) {
        Gauge.builder("rewind.tap.spool.capacity.bytes", () -> capacityBytes).baseUnit("bytes")
                .description("Most bytes the spool may hold (spool.max.bytes)").register(registry);
        spoolFill = new SpoolFill(capacityBytes, pendingBytes);
        Gauge.builder("rewind.tap.spool.time.to.full", spoolFill, SpoolFill::secondsToFull).baseUnit("seconds")
                .description("Seconds until the spool is full at the rate it filled over the last minute; +Inf while it is not filling")
                .register(registry);
    }

    /** The spool's fill rate, from two readings at least a minute apart (each scrape reads it). */
    static final class SpoolFill {
        private static final long WINDOW_NANOS = 60_000_000_000L;
        private final long capacity;
        private final Supplier<Long> pending;
        private long sinceNanos = System.nanoTime();
        private long sincePending;
        private double bytesPerSecond;

        SpoolFill(long capacity, Supplier<Long> pending) {
            this.capacity = capacity;
            this.pending = pending;
            this.sincePending = pending.get();
        }

        synchronized double secondsToFull() {
            return secondsToFull(System.nanoTime());
        }

        synchronized double secondsToFull(long nowNanos) {
            long now = pending.get();
            long elapsed = nowNanos - sinceNanos;
            if (elapsed >= WINDOW_NANOS) {
                bytesPerSecond = (now - sincePending) / (elapsed / 1e9);
                sinceNanos = nowNanos;
                sincePending = now;
            }
            return bytesPerSecond > 0 ? Math.max(0, capacity - now) / bytesPerSecond : Double.POSITIVE_INFINITY;
        }
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
