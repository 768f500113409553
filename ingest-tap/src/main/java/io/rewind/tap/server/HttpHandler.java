package io.rewind.tap.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufInputStream;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.rewind.schema.PointKind;
import io.rewind.tap.TapMetrics;
import io.rewind.tap.record.PointRecord;
import io.rewind.tap.protocol.JsonPutParser;
import io.rewind.tap.protocol.Rejection;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;
import java.util.zip.InflaterInputStream;

/**
 * An HTTP client connection, one request at a time (the next is read once the last is answered).
 * Every request goes to the upstream TSD unchanged (but for {@code Expect}, which the tap has
 * answered itself, and the {@code X-Rewind-Tap} header it adds to detect loops) and its response
 * comes back unchanged. For {@code POST /api/put}, {@code /api/v1/put}, {@code /api/rollup} and
 * {@code /api/histogram} the body is also decoded and its valid points published, in parallel with
 * the upstream call; a 2xx is relayed only once those points are in Kafka or in the spool, and a 503
 * is sent instead when that does not happen within {@code ack.timeout.ms}. In standalone mode the
 * tap answers puts itself, as a TSD does.
 */
public final class HttpHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    static final String LOOP_HEADER = "X-Rewind-Tap";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_RESPONSE_BYTES = 1 << 30;

    private final TapContext tap;
    private Channel client;
    private Channel upstream;
    private CompletableFuture<FullHttpResponse> pending;

    public HttpHandler(TapContext tap) {
        super(false);
        this.tap = tap;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        client = ctx.channel();
        tap.metrics().connectionOpened(TapMetrics.Protocol.HTTP);
    }

    /** The points of a request: what to publish, and how OpenTSDB would answer on its own. */
    private record Parsed(List<PointRecord> records, List<JsonPutParser.Entry> entries, JsonPutParser.BadBody badBody) {
        static final Parsed NONE = new Parsed(List.of(), List.of(), null);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
        long start = System.nanoTime();
        client.config().setAutoRead(false);
        boolean keepAlive = HttpUtil.isKeepAlive(request);
        if (request.headers().getAll(LOOP_HEADER).contains(tap.config().tapId())) {
            request.release();
            tap.metrics().upstreamError("loop");
            respond(error(HttpResponseStatus.valueOf(508, "Loop Detected"), "Request loop detected",
                    "This request already passed through Rewind tap '" + tap.config().tapId() + "': its upstreams lead back to it"), keepAlive, start);
            return;
        }
        QueryStringDecoder query = new QueryStringDecoder(request.uri());
        HttpMethod method = request.method();
        PointKind kind = method.equals(HttpMethod.POST) ? putKind(query.path()) : null;
        if (tap.config().standalone()) {
            Parsed parsed = kind == null ? Parsed.NONE : parse(request.content(), request.headers(), request.uri(), kind);
            request.release();
            publish(parsed).whenComplete((ok, error) -> client.eventLoop().execute(() -> respond(
                    error != null ? notDurable(error) : standaloneAnswer(method, query, kind, parsed), keepAlive, start)));
            return;
        }
        request.headers().remove(HttpHeaderNames.EXPECT);
        request.headers().add(LOOP_HEADER, tap.config().tapId());
        // The request goes to the TSD first, so that the TSD works on it while the tap decodes and publishes its points.
        // The body is read through its own view: writing the request to the upstream consumes and releases the request's.
        ByteBuf body = kind == null ? null : request.content().retainedDuplicate();
        HttpHeaders headers = request.headers();
        String uri = request.uri();
        CompletableFuture<FullHttpResponse> forwarded = forward(request);
        Parsed parsed;
        try {
            parsed = kind == null ? Parsed.NONE : parse(body, headers, uri, kind);
        } finally {
            if (body != null) {
                body.release();
            }
        }
        CompletableFuture<Void> published = publish(parsed);
        forwarded.whenComplete((response, error) -> client.eventLoop().execute(() -> {
            if (error != null) {
                tap.metrics().upstreamError(error instanceof java.nio.channels.ClosedChannelException ? "closed" : "unreachable");
                published.whenComplete((ok, e) -> client.eventLoop().execute(() -> respond(
                        error(HttpResponseStatus.SERVICE_UNAVAILABLE, "No upstream TSD answered", String.valueOf(error.getMessage())),
                        keepAlive, start)));
                return;
            }
            if (parsed.records().isEmpty()) {
                respond(response, keepAlive, start);
                return;
            }
            published.whenComplete((ok, e) -> client.eventLoop().execute(() -> {
                if (e != null && response.status().codeClass() == io.netty.handler.codec.http.HttpStatusClass.SUCCESS) {
                    response.release();
                    respond(notDurable(e), keepAlive, start);
                } else {
                    respond(response, keepAlive, start);
                }
            }));
        }));
    }

    private static PointKind putKind(String path) {
        String p = path.endsWith("/") && path.length() > 1 ? path.substring(0, path.length() - 1) : path;
        return switch (p) {
            case "/api/put", "/api/v1/put" -> PointKind.PUT;
            case "/api/rollup" -> PointKind.ROLLUP;
            case "/api/histogram" -> PointKind.HISTOGRAM;
            default -> null;
        };
    }

    /** Completes when the points are durable (in Kafka or the spool), or fails after {@code ack.timeout.ms}. */
    private CompletableFuture<Void> publish(Parsed parsed) {
        return tap.publisher().publishAwaited(parsed.records()).orTimeout(tap.config().ackTimeoutMs(), TimeUnit.MILLISECONDS);
    }

    private Parsed parse(ByteBuf content, HttpHeaders headers, String uri, PointKind kind) {
        long receivedMs = System.currentTimeMillis();
        String encoding = headers.get(HttpHeaderNames.CONTENT_ENCODING, "").trim().toLowerCase();
        try (InputStream raw = new ByteBufInputStream(content.duplicate());
                InputStream body = encoding.equals("gzip") || encoding.equals("x-gzip") ? new GZIPInputStream(raw)
                        : encoding.equals("deflate") ? new InflaterInputStream(raw) : raw) {
            List<JsonPutParser.Entry> entries = tap.jsonParser().parse(body, kind);
            List<PointRecord> records = new ArrayList<>(entries.size());
            for (JsonPutParser.Entry entry : entries) {
                if (entry.valid()) {
                    PointRecord record = tap.encode(entry.point(), receivedMs);
                    if (record != null) {
                        records.add(record);
                    }
                } else {
                    tap.metrics().rejected(TapMetrics.Protocol.HTTP, entry.reason());
                    tap.logRejected("http", String.valueOf(entry.datapoint()), entry.error());
                }
            }
            tap.metrics().received(TapMetrics.Protocol.HTTP, entries.size());
            return new Parsed(records, entries, null);
        } catch (JsonPutParser.BadBody e) {
            tap.metrics().rejected(TapMetrics.Protocol.HTTP, Rejection.Reason.BAD_REQUEST);
            tap.logRejected("http", uri, e.getMessage() + ": " + e.details());
            return new Parsed(List.of(), List.of(), e);
        } catch (IOException e) {
            JsonPutParser.BadBody bad = new JsonPutParser.BadBody("Unable to parse the given JSON", e.toString());
            tap.metrics().rejected(TapMetrics.Protocol.HTTP, Rejection.Reason.BAD_REQUEST);
            return new Parsed(List.of(), List.of(), bad);
        }
    }

    private CompletableFuture<FullHttpResponse> forward(FullHttpRequest request) {
        CompletableFuture<FullHttpResponse> response = new CompletableFuture<>();
        pending = response;
        if (upstream != null && upstream.isActive()) {
            send(request);
            return response;
        }
        tap.connectUpstream(client, new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel ch) {
                ch.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(MAX_RESPONSE_BYTES), new UpstreamHandler());
            }
        }, channel -> {
            if (channel == null) {
                request.release();
                tap.metrics().upstreamError("no_upstream");
                pending = null;
                response.completeExceptionally(new IOException("no upstream TSD could be reached"));
                return;
            }
            upstream = channel;
            upstream.config().setAutoRead(true);
            send(request);
        });
        return response;
    }

    private void send(FullHttpRequest request) {
        CompletableFuture<FullHttpResponse> response = pending;
        upstream.writeAndFlush(request).addListener((ChannelFutureListener) future -> {
            if (!future.isSuccess()) {
                pending = null;
                response.completeExceptionally(future.cause());
            }
        });
    }

    /** The upstream's side of this connection: hands each response to the request waiting for it. */
    private final class UpstreamHandler extends SimpleChannelInboundHandler<FullHttpResponse> {
        UpstreamHandler() {
            super(false);
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse response) {
            CompletableFuture<FullHttpResponse> waiting = pending;
            pending = null;
            if (waiting == null) {
                response.release();
            } else {
                waiting.complete(response);
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            CompletableFuture<FullHttpResponse> waiting = pending;
            pending = null;
            if (waiting != null) {
                waiting.completeExceptionally(new java.nio.channels.ClosedChannelException());
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            tap.metrics().upstreamError("protocol");
            ctx.close();
        }
    }

    private void respond(FullHttpResponse response, boolean keepAlive, long start) {
        if (!client.isActive()) {
            response.release();
            return;
        }
        boolean close = !keepAlive || !HttpUtil.isKeepAlive(response);
        if (close) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        } else if (response.protocolVersion().equals(HttpVersion.HTTP_1_0)) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        }
        client.writeAndFlush(response).addListener((ChannelFutureListener) future -> {
            tap.metrics().requestLatency(TapMetrics.Protocol.HTTP, System.nanoTime() - start);
            if (close || !future.isSuccess()) {
                client.close();
            } else {
                client.config().setAutoRead(true);
                client.read();
            }
        });
    }

    private FullHttpResponse notDurable(Throwable error) {
        return error(HttpResponseStatus.SERVICE_UNAVAILABLE, "The points could not be backed up; retry the request",
                "Rewind's tap could not get them into Kafka or its spool within ack.timeout.ms: " + error);
    }

    /** What a TSD answers to a put, for standalone mode ({@code PutDataPointRpc}'s shapes). */
    private FullHttpResponse standaloneAnswer(HttpMethod method, QueryStringDecoder query, PointKind kind, Parsed parsed) {
        String path = query.path();
        if (kind == null) {
            if (putKind(path) != null) {
                return error(HttpResponseStatus.METHOD_NOT_ALLOWED, "Method not allowed",
                        "The HTTP method [" + method.name() + "] is not permitted for this endpoint");
            }
            if (path.equals("/api/version")) {
                return json(HttpResponseStatus.OK, Map.of("version", "2.4.1", "short_revision", "rewind-ingest-tap",
                        "full_revision", "rewind-ingest-tap standalone", "repo_status", "MODIFIED"));
            }
            return error(HttpResponseStatus.NOT_FOUND, "Endpoint not found",
                    "Rewind's tap runs standalone (no upstream TSD): it answers only /api/put, /api/rollup, /api/histogram and /api/version");
        }
        if (parsed.badBody() != null) {
            return error(HttpResponseStatus.BAD_REQUEST, parsed.badBody().getMessage(), parsed.badBody().details());
        }
        boolean details = query.parameters().containsKey("details");
        boolean summary = query.parameters().containsKey("summary");
        List<Map<String, Object>> errors = new ArrayList<>();
        for (JsonPutParser.Entry entry : parsed.entries()) {
            if (!entry.valid()) {
                Map<String, Object> error = new LinkedHashMap<>();
                error.put("datapoint", entry.datapoint());
                error.put("error", entry.error());
                errors.add(error);
            }
        }
        int failed = errors.size();
        if (!details && !summary) {
            if (failed > 0) {
                return error(HttpResponseStatus.BAD_REQUEST, "One or more data points had errors",
                        "Please see the TSD logs or append \"details\" to the put request");
            }
            FullHttpResponse noContent = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.NO_CONTENT);
            noContent.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json; charset=UTF-8");
            noContent.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, 0);
            return noContent;
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("success", parsed.records().size());
        body.put("failed", failed);
        if (details) {
            body.put("errors", errors);
        }
        return json(failed > 0 ? HttpResponseStatus.BAD_REQUEST : HttpResponseStatus.OK, body);
    }

    /** OpenTSDB's error shape: {@code {"error":{"code":..,"message":..,"details":..}}}. */
    static FullHttpResponse error(HttpResponseStatus status, String message, String details) {
        Map<String, Object> error = new LinkedHashMap<>();
        error.put("code", status.code());
        error.put("message", message);
        if (details != null) {
            error.put("details", details);
        }
        return json(status, Map.of("error", error));
    }

    static FullHttpResponse json(HttpResponseStatus status, Object body) {
        byte[] bytes;
        try {
            bytes = JSON.writeValueAsBytes(body);
        } catch (IOException e) {
            bytes = ("{\"error\":{\"code\":500,\"message\":\"" + e.getMessage() + "\"}}").getBytes(StandardCharsets.UTF_8);
        }
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.wrappedBuffer(bytes));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json; charset=UTF-8");
        response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, bytes.length);
        return response;
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        tap.metrics().connectionClosed(TapMetrics.Protocol.HTTP);
        if (upstream != null) {
            upstream.close();
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }
}
