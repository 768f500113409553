package io.rewind.tap.delivery;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.rewind.schema.Gap;
import io.rewind.schema.PointKind;
import io.rewind.service.DurableFile;
import io.rewind.service.RateLimitedLog;
import io.rewind.tap.metrics.TapMetrics;
import io.rewind.tap.record.PointEncoder;
import io.rewind.tap.record.PointRecord;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records every point the tap lets through to OpenTSDB without getting it into Kafka as a {@link Gap}: its metric and the
 * hour of its timestamp. Kept durably in {@code <spool.dir>/gaps.json} within moments (its own thread writes it, so the
 * event loops never wait on a disk), bounded (past {@code maxMetricsPerHour} metrics an hour's gap covers all its metrics),
 * exported on {@code /metrics}, and published to the gaps topic once Kafka takes records again; a gap leaves the file only
 * once Kafka has acknowledged it. A tap that stops or crashes first publishes it at its next start.
 */
public final class GapRecorder implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(GapRecorder.class);
    static final String FILE = "gaps.json";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration RETRY = Duration.ofSeconds(5);

    private final Path file;
    private final String tap;
    private final int pointHeaderBytes;
    private final int maxMetricsPerHour;
    private final TapMetrics metrics;
    private final Thread thread;
    private final RateLimitedLog log = new RateLimitedLog(LOG, Duration.ofSeconds(30));

    private final String instance;
    private long nextSeq;
    /** Hours with points missed since their last gap was made: not yet a gap. */
    private final TreeMap<Long, Open> open = new TreeMap<>();
    /** Gaps made and not yet acknowledged by Kafka, in order. */
    private final List<Gap> unpublished = new ArrayList<>();
    private boolean dirty;
    private boolean closed;
    private volatile Producer<byte[], byte[]> producer;
    private volatile String topic;
    private volatile BooleanSupplier kafkaReady = () -> false;

    /** The points of one hour missed since its last gap. */
    private static final class Open {
        final TreeSet<String> metrics = new TreeSet<>();
        boolean all;
        long points;
        long first = Long.MAX_VALUE;
        long last = Long.MIN_VALUE;
        final Map<String, Long> reasons = new TreeMap<>();
        final java.util.EnumSet<PointKind> kinds = java.util.EnumSet.noneOf(PointKind.class);

        Gap gap(String tap, String instance, long seq, long hour) {
            return new Gap(tap, instance, seq, hour, all, List.copyOf(metrics), points, first, last, reasons, List.copyOf(kinds));
        }

        void add(Gap gap) {
            all |= gap.allMetrics();
            if (all) {
                metrics.clear();
            } else {
                metrics.addAll(gap.metrics());
            }
            points += gap.points();
            first = Math.min(first, gap.firstMissedMs());
            last = Math.max(last, gap.lastMissedMs());
            gap.reasons().forEach((reason, n) -> reasons.merge(reason, n, Long::sum));
            kinds.addAll(gap.kinds());
        }
    }

    private GapRecorder(Path file, String tap, int pointHeaderBytes, int maxMetricsPerHour, TapMetrics metrics, String instance, long nextSeq) {
        this.file = file;
        this.tap = tap.length() > 64 ? tap.substring(0, 64) : tap; // a gap names its tap in at most 64 characters
        this.pointHeaderBytes = pointHeaderBytes;
        this.maxMetricsPerHour = maxMetricsPerHour;
        this.metrics = metrics;
        this.instance = instance;
        this.nextSeq = nextSeq;
        this.thread = new Thread(this::loop, "rewind-gaps");
        this.thread.setDaemon(true);
    }

    /**
     * Opens the gaps an earlier tap left in {@code spoolDir} (they are published first) and starts keeping new ones.
     * {@code pointHeaderBytes}: the length of the wire format's header before each point's Avro body.
     */
    public static GapRecorder open(Path spoolDir, String tap, int pointHeaderBytes, int maxMetricsPerHour, TapMetrics metrics) throws IOException {
        Files.createDirectories(spoolDir);
        Path file = spoolDir.resolve(FILE);
        GapRecorder recorder = null;
        if (Files.exists(file)) {
            try {
                recorder = read(file, tap, pointHeaderBytes, maxMetricsPerHour, metrics);
            } catch (IOException | RuntimeException e) {
                // A tap that cannot start would stop production's writes: the file is kept aside, said, and a new one begun.
                Path aside = file.resolveSibling(FILE + ".unreadable-" + System.currentTimeMillis());
                Files.move(file, aside);
                LOG.error("The tap's gaps file {} cannot be read ({}): moved to {}, and a new one begun. The gaps it held are NOT published:"
                        + " read them there, and heal their hours with rewind baseline --metric ... --from ... --to ...", file, e.toString(), aside);
            }
        }
        if (recorder == null) {
            recorder = new GapRecorder(file, tap, pointHeaderBytes, maxMetricsPerHour, metrics, UUID.randomUUID().toString().substring(0, 8), 1);
            recorder.save();
        }
        metrics.gapsOpen(recorder::openMetricHours);
        recorder.thread.start();
        return recorder;
    }

    private static GapRecorder read(Path file, String tap, int pointHeaderBytes, int maxMetricsPerHour, TapMetrics metrics) throws IOException {
        JsonNode json = JSON.readTree(Files.readAllBytes(file));
        GapRecorder recorder = new GapRecorder(file, tap, pointHeaderBytes, maxMetricsPerHour, metrics, json.get("instance").asText(),
                json.get("nextSeq").asLong());
        for (JsonNode gap : json.path("unpublished")) {
            recorder.unpublished.add(Gap.fromJsonNode(gap));
        }
        for (JsonNode hour : json.path("open")) {
            Gap gap = Gap.fromJsonNode(hour);
            recorder.open.computeIfAbsent(gap.hourStartMs(), h -> new Open()).add(gap);
        }
        if (!recorder.unpublished.isEmpty() || !recorder.open.isEmpty()) {
            LOG.warn("Gaps from an earlier run are not in Kafka yet: {} metric-hour(s) of points NOT backed up are published once Kafka"
                    + " answers; rewind heal then takes them from HBase into the archive", recorder.openMetricHours());
        }
        return recorder;
    }

    /** Publishes gaps to {@code topic} through this producer (shared, not closed here) whenever {@code kafkaReady} says Kafka answers. */
    public void publishTo(Producer<byte[], byte[]> producer, String topic, BooleanSupplier kafkaReady) {
        this.topic = topic;
        this.kafkaReady = kafkaReady;
        this.producer = producer;
        synchronized (this) {
            notifyAll();
        }
    }

    /** Stops publishing (the producer is closing); gaps stay in the file for the next tap. */
    public void stopPublishing() {
        producer = null;
    }

    /** These points went to OpenTSDB and not to Kafka: each one's metric and hour join the open gaps. Cheap; never blocks on I/O. */
    public synchronized void missed(List<PointRecord> records, String reason) {
        for (PointRecord record : records) {
            long timestamp;
            String metric;
            PointKind kind;
            try {
                PointEncoder.Read read = PointEncoder.read(record.value(), pointHeaderBytes);
                timestamp = read.timestampMs();
                kind = read.kind();
                metric = read.metric();
            } catch (RuntimeException e) {
                // Not a value this tap wrote (it writes every one): its hour is unknown, so the hour it was received in is healed
                // whole, and it is said.
                timestamp = record.receivedMs();
                metric = null;
                kind = PointKind.PUT;
                log.error("A point let through without backup has a value the tap cannot read ({}): the hour it arrived in is recorded"
                        + " as a gap of every metric", e.toString());
            }
            add(metric, timestamp, record.receivedMs(), kind, reason);
        }
        dirty = true;
        notifyAll();
    }

    /** A point that went to OpenTSDB without a Kafka record at all (it could not be encoded): its metric and hour join the gaps. */
    public synchronized void missed(String metric, long timestampMs, long receivedMs, PointKind kind, String reason) {
        add(metric, timestampMs, receivedMs, kind, reason);
        dirty = true;
        notifyAll();
    }

    /** Adds one point to its hour's open gap; a null metric makes the hour's gap cover every metric. */
    private void add(String metric, long timestampMs, long receivedMs, PointKind kind, String reason) {
        long hour = Gap.hourOf(timestampMs);
        Open gap = open.computeIfAbsent(hour, h -> new Open());
        if (metric == null && !gap.all) {
            gap.all = true;
            gap.metrics.clear();
            metrics.gapMetricHour();
        }
        if (!gap.all && gap.metrics.add(metric)) {
            metrics.gapMetricHour();
            if (gap.metrics.size() > maxMetricsPerHour) {
                gap.all = true;
                gap.metrics.clear();
                LOG.warn("More than {} metrics missed points in the hour from {}: its gap now covers every metric of that hour",
                        maxMetricsPerHour, java.time.Instant.ofEpochMilli(hour));
            }
        }
        gap.points++;
        gap.first = Math.min(gap.first, receivedMs);
        gap.last = Math.max(gap.last, receivedMs);
        gap.reasons.merge(reason, 1L, Long::sum);
        gap.kinds.add(kind);
    }

    /** Metric-hours missed and not yet acknowledged by Kafka in the gaps topic (an hour covering every metric counts once). */
    public synchronized int openMetricHours() {
        int count = 0;
        for (Open gap : open.values()) {
            count += gap.all ? 1 : gap.metrics.size();
        }
        for (Gap gap : unpublished) {
            count += gap.allMetrics() ? 1 : gap.metrics().size();
        }
        return count;
    }

    /** A copy of the gaps made and not yet in Kafka, to send without the lock. */
    private synchronized List<Gap> unpublished() {
        return List.copyOf(unpublished);
    }

    private void loop() {
        while (true) {
            try {
                boolean publishNow;
                boolean write;
                synchronized (this) {
                    while (!closed && !dirty && !publishable()) {
                        wait(RETRY.toMillis());
                    }
                    if (closed) {
                        return;
                    }
                    publishNow = publishable();
                    if (publishNow) {
                        numberOpenHours(); // in the file as gaps before they go to Kafka: a gap is named once whatever happens
                    }
                    write = dirty || publishNow;
                    dirty = false;
                }
                if (write) {
                    save(); // outside the lock: a point missed on an event loop never waits for this disk
                }
                if (publishNow) {
                    publish();
                }
                // At most one write of the file, and one round of gaps, a second: a long outage with points let through all the
                // while makes one gap per hour, not one per point.
                Thread.sleep(1_000);
            } catch (InterruptedException e) {
                return;
            } catch (IOException | RuntimeException e) {
                log.error("Cannot keep the tap's gaps in {} ({}): retrying", file, e.toString());
                try {
                    Thread.sleep(RETRY.toMillis());
                } catch (InterruptedException interrupted) {
                    return;
                }
            }
        }
    }

    private boolean publishable() {
        return producer != null && (!open.isEmpty() || !unpublished.isEmpty()) && kafkaReady.getAsBoolean();
    }

    /** The hours with points missed become gaps, each with the next number of this spool directory. */
    private void numberOpenHours() {
        for (Map.Entry<Long, Open> hour : open.entrySet()) {
            unpublished.add(hour.getValue().gap(tap, instance, nextSeq++, hour.getKey()));
        }
        open.clear();
    }

    /** Sends the unpublished gaps; those Kafka acknowledges leave the file. */
    private void publish() throws IOException, InterruptedException {
        Producer<byte[], byte[]> to = producer;
        List<Gap> gaps = unpublished();
        if (to == null || gaps.isEmpty() || !kafkaReady.getAsBoolean()) {
            return;
        }
        List<Gap> acknowledged = new ArrayList<>();
        for (Gap gap : gaps) {
            try {
                to.send(new ProducerRecord<>(topic, gap.id().getBytes(StandardCharsets.UTF_8), gap.toJson())).get(30, TimeUnit.SECONDS);
                acknowledged.add(gap);
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException | RuntimeException e) {
                log.warn("Cannot publish the gap {} to the topic {} yet ({}): it stays in {} and is tried again", gap.id(), topic, e.toString(), file);
                break;
            }
        }
        if (!acknowledged.isEmpty()) {
            synchronized (this) {
                unpublished.removeAll(acknowledged);
            }
            save();
            metrics.gapsPublished(acknowledged.size());
            LOG.info("Published {} gap(s) to {}: run rewind heal to take their points from HBase into the archive", acknowledged.size(), topic);
        }
        if (acknowledged.size() < gaps.size()) {
            Thread.sleep(RETRY.toMillis());
        }
    }

    /** Writes the file: the gaps not yet in Kafka, and the hours with points missed since, not yet numbered. */
    private void save() throws IOException {
        DurableFile.replace(file, snapshot());
    }

    private synchronized byte[] snapshot() throws IOException {
        ObjectNode json = JSON.createObjectNode();
        json.put("instance", instance).put("nextSeq", nextSeq);
        ArrayNode gaps = json.putArray("unpublished");
        for (Gap gap : unpublished) {
            gaps.add(gap.toJsonNode());
        }
        ArrayNode hours = json.putArray("open");
        for (Map.Entry<Long, Open> hour : open.entrySet()) {
            hours.add(hour.getValue().gap(tap, instance, 0, hour.getKey()).toJsonNode());
        }
        return JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(json);
    }

    private byte[] snapshotQuietly() {
        try {
            return snapshot();
        } catch (IOException e) {
            return new byte[0];
        }
    }

    /** Writes the file as it is, so that the next tap on this spool directory publishes what this one could not. */
    @Override
    public void close() {
        synchronized (this) {
            closed = true;
            notifyAll();
        }
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            save();
        } catch (IOException e) {
            LOG.error("Cannot write the tap's gaps to {} ({}): {} metric-hour(s) of points NOT backed up are known only from this log: {}",
                    file, e.toString(), openMetricHours(), new String(snapshotQuietly(), StandardCharsets.UTF_8));
        }
    }

}
