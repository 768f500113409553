package io.rewind.tap.server;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.rewind.schema.Point;
import io.rewind.schema.wire.SingleObjectWireFormat;
import io.rewind.schema.wire.WireFormat;
import io.rewind.tap.config.TapConfig;
import io.rewind.tap.metrics.TapMetrics;
import io.rewind.tap.record.PointEncoder;
import io.rewind.tap.delivery.GapRecorder;
import io.rewind.tap.delivery.PointPublisher;
import io.rewind.tap.record.PointRecord;
import io.rewind.tap.spool.Spool;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A standalone tap's handlers with a real publisher whose Kafka is unreachable (a closed port), so
 * every accepted point lands in the real spool, where the test reads it back.
 */
final class Standalone implements AutoCloseable {
    final TapContext context;
    final Spool spool;
    final TapMetrics metrics = new TapMetrics(new SimpleMeterRegistry());
    private final PointPublisher publisher;
    private final SingleObjectWireFormat<Point> format = new SingleObjectWireFormat<>(Point.class);

    Standalone(Path dir, Map<String, String> settings) throws IOException {
        this(dir, settings, new SingleObjectWireFormat<>(Point.class));
    }

    /** With the given wire format for Kafka's records (the spool is read back as single-object encoding). */
    Standalone(Path dir, Map<String, String> settings, WireFormat<Point> kafkaFormat) throws IOException {
        Map<String, String> all = TapConfig.localSettings("127.0.0.1:1", "points", dir, "");
        all.put("kafka.max.block.ms", "200");
        all.put("kafka.reconnect.backoff.max.ms", "1000");
        all.putAll(settings);
        TapConfig config = TapConfig.of(all);
        spool = Spool.open(config.spoolDir(), config.spoolMaxBytes(), 1 << 20);
        publisher = PointPublisher.of(config.delivery(), spool,
                GapRecorder.open(config.spoolDir(), config.tapId(), headerBytes(kafkaFormat), config.gapsMaxMetricsPerHour(), metrics),
                metrics);
        context = new TapContext(config, publisher, new PointEncoder(kafkaFormat), metrics,
                new Upstreams(List.of(), 1000, 1000, metrics));
    }

    /** The length of the format's header; 0 for a format that cannot give one (its points are never encoded, so never read back). */
    private static int headerBytes(WireFormat<Point> format) {
        try {
            return format.header().length;
        } catch (RuntimeException e) {
            return 0;
        }
    }

    /** The points in the spool, in order. */
    List<Point> spooled() {
        return spool.read(Integer.MAX_VALUE).records().stream().map(PointRecord::value).map(format::decode).toList();
    }

    @Override
    public void close() {
        publisher.close();
    }
}
