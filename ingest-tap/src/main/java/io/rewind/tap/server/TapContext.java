package io.rewind.tap.server;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.rewind.schema.Point;
import io.rewind.tap.config.TapConfig;
import io.rewind.tap.metrics.TapMetrics;
import io.rewind.tap.record.PointEncoder;
import io.rewind.tap.record.PointRecord;
import io.rewind.tap.delivery.PointPublisher;
import io.rewind.service.RateLimitedLog;
import io.rewind.tap.protocol.JsonPutFastPath;
import io.rewind.tap.protocol.JsonPutParser;
import io.rewind.tap.protocol.PointRules;
import io.rewind.tap.protocol.TelnetPutFastPath;
import io.rewind.tap.protocol.TelnetPutParser;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Iterator;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** What every connection's handlers share: the config, the parsers, the publisher, the upstreams and the metrics. */
public final class TapContext {
    private static final Logger LOG = LoggerFactory.getLogger(TapContext.class);

    private final TapConfig config;
    private final PointPublisher publisher;
    private final PointEncoder encoder;
    private final TapMetrics metrics;
    private final Upstreams upstreams;
    private final TelnetPutParser telnetParser;
    private final TelnetPutFastPath telnetFastPath;
    private final JsonPutParser jsonParser;
    private final JsonPutFastPath jsonFastPath;
    private final RateLimitedLog rejectLog = new RateLimitedLog(LOG, Duration.ofSeconds(10));
    private final RateLimitedLog connectLog = new RateLimitedLog(LOG, Duration.ofSeconds(10));
    private final RateLimitedLog encodeLog = new RateLimitedLog(LOG, Duration.ofSeconds(10));

    public TapContext(TapConfig config, PointPublisher publisher, PointEncoder encoder, TapMetrics metrics, Upstreams upstreams) {
        this.config = config;
        this.publisher = publisher;
        this.encoder = encoder;
        this.metrics = metrics;
        this.upstreams = upstreams;
        PointRules rules = new PointRules(config.maxTags());
        this.telnetParser = new TelnetPutParser(rules);
        byte[] header = header(encoder);
        this.telnetFastPath = header == null ? null : new TelnetPutFastPath(config.maxTags(), header);
        this.jsonParser = new JsonPutParser(rules);
        this.jsonFastPath = header == null ? null : new JsonPutFastPath(config.maxTags(), header);
    }

    public TapConfig config() {
        return config;
    }

    public PointPublisher publisher() {
        return publisher;
    }

    public TapMetrics metrics() {
        return metrics;
    }

    /**
     * The telnet fast path; null when the wire format cannot give the header of its records (the tap prepares it before it
     * serves, so only a wire format that cannot encode at all), and then every line goes to {@link #telnetParser} and
     * {@link #encode}.
     */
    public TelnetPutFastPath telnetFastPath() {
        return telnetFastPath;
    }

    /** The {@code /api/put} fast path; null when the telnet one is, and then every body goes to {@link #jsonParser}. */
    public JsonPutFastPath jsonFastPath() {
        return jsonFastPath;
    }

    private static byte[] header(PointEncoder encoder) {
        try {
            return encoder.header();
        } catch (RuntimeException cannotEncode) {
            return null;
        }
    }

    public TelnetPutParser telnetParser() {
        return telnetParser;
    }

    public JsonPutParser jsonParser() {
        return jsonParser;
    }

    /**
     * The point's Kafka record, or null when it cannot be made (a wire format that fails): then the point still goes to
     * the TSD, and is counted as missed by the backup and logged, never an error for the client.
     */
    public PointRecord encode(Point point, long receivedMs) {
        try {
            return encoder.encode(point, receivedMs);
        } catch (RuntimeException e) {
            metrics.missed(1);
            publisher.gaps().missed(point.getMetric(), point.getTimestampMs(), receivedMs, point.getKind(), "not-encodable");
            encodeLog.error("Cannot encode a point for Kafka ({}): it went to OpenTSDB but is NOT backed up; its metric and hour are recorded"
                    + " as a gap for rewind heal. See rewind_tap_points_missed_total.", e.getMessage());
            return null;
        }
    }

    /** Logs a refused point, at most once per 10 s. */
    public void logRejected(String protocol, String what, String why) {
        rejectLog.warn("Refused a {} point ({}): {}", protocol, what, why);
    }

    /**
     * Connects to an upstream TSD on the client's event loop, trying each in {@link Upstreams#order()};
     * calls {@code done} with the channel, or with null when none could be reached.
     */
    public void connectUpstream(Channel client, ChannelHandler handler, Consumer<Channel> done) {
        Iterator<InetSocketAddress> candidates = upstreams.order().iterator();
        tryNext(client, handler, candidates, done);
    }

    private void tryNext(Channel client, ChannelHandler handler, Iterator<InetSocketAddress> candidates, Consumer<Channel> done) {
        if (!candidates.hasNext()) {
            done.accept(null);
            return;
        }
        InetSocketAddress address = candidates.next();
        new Bootstrap().group(client.eventLoop()).channel(NioSocketChannel.class)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, upstreams.connectTimeoutMs())
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.AUTO_READ, false)
                .handler(handler)
                .connect(address.getHostString(), address.getPort())
                .addListener((ChannelFutureListener) future -> {
                    if (future.isSuccess()) {
                        done.accept(future.channel());
                    } else {
                        metrics.upstreamError("connect");
                        connectLog.warn("Cannot connect to upstream TSD {}: {}", TapConfig.hostPort(address), future.cause().toString());
                        tryNext(client, handler, candidates, done);
                    }
                });
    }
}
