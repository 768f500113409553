package io.rewind.tap.server;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.util.ReferenceCountUtil;
import io.rewind.schema.PointKind;
import io.rewind.tap.metrics.TapMetrics;
import io.rewind.tap.protocol.Rejection;
import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * An HTTP client connection, one request at a time: requests a client pipelines (sends before the answer to the last)
 * wait in order, and each gets its answer, in order. Every request goes to the upstream TSD unchanged (but for
 * {@code Expect}, which the tap has answered itself, and the {@code X-Rewind-Tap} header it adds to detect loops) and
 * its response comes back unchanged. For {@code POST /api/put}, {@code /api/v1/put}, {@code /api/rollup} and
 * {@code /api/histogram} the body is also read ({@link PutBody}) and its valid points published, in parallel with the
 * upstream call; a 2xx is relayed only once those points are in Kafka or in the spool, and a 503 is sent instead when
 * that does not happen within {@code ack.timeout.ms}. A body that inflates past {@code http.max.body.bytes} gets 413
 * and goes nowhere. In standalone mode the tap answers puts itself, as a TSD does ({@link HttpAnswers}).
 */
public final class HttpHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    static final String LOOP_HEADER = "X-Rewind-Tap";
    private static final int MAX_RESPONSE_BYTES = 1 << 30;

    private final TapContext tap;
    /** Requests read while an earlier one is being answered, in order. */
    private final ArrayDeque<FullHttpRequest> queued = new ArrayDeque<>();
    private boolean busy;
    private Channel client;
    private Channel upstream;
    /** The answer the upstream owes: one request is on the upstream connection at a time. */
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

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
        client.config().setAutoRead(false);
        if (busy) {
            queued.add(request);
            return;
        }
        busy = true;
        handle(request);
    }

    private void handle(FullHttpRequest request) {
        long start = System.nanoTime();
        boolean keepAlive = HttpUtil.isKeepAlive(request);
        if (request.headers().getAll(LOOP_HEADER).contains(tap.config().tapId())) {
            request.release();
            tap.metrics().upstreamError("loop");
            respond(HttpAnswers.error(HttpResponseStatus.valueOf(508, "Loop Detected"), "Request loop detected",
                    "This request already passed through Rewind tap '" + tap.config().tapId() + "': its upstreams lead back to it"), keepAlive, start);
            return;
        }
        String uri = request.uri();
        QueryStringDecoder query = new QueryStringDecoder(uri);
        HttpMethod method = request.method();
        PointKind kind = method.equals(HttpMethod.POST) ? putKind(query.path()) : null;
        PutBody.Json json = null;
        IOException unreadable = null;
        if (kind != null) {
            try {
                json = PutBody.read(request.content(), request.headers(), tap.config().maxBodyBytes());
            } catch (PutBody.TooLarge e) {
                request.release();
                tap.metrics().rejected(TapMetrics.Protocol.HTTP, Rejection.Reason.BODY_TOO_LARGE);
                tap.logRejected("http", uri, e.getMessage());
                respond(HttpAnswers.error(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, "Request Entity Too Large", e.getMessage()), keepAlive, start);
                return;
            } catch (IOException e) {
                unreadable = e; // the TSD answers it as it does; the tap publishes nothing of it
            }
        }
        CompletableFuture<FullHttpResponse> forwarded = null;
        if (!tap.config().standalone()) {
            request.headers().remove(HttpHeaderNames.EXPECT);
            request.headers().add(LOOP_HEADER, tap.config().tapId());
            // The request goes to the TSD first, so that the TSD works on it while the tap reads and publishes its points.
            // Writing it to the upstream releases it: the points are read from the body's copy.
            forwarded = forward(request);
        } else {
            request.release();
        }
        PutBody.Parsed parsed = kind == null ? PutBody.Parsed.NONE
                : unreadable != null ? PutBody.unreadable(tap, uri, unreadable) : PutBody.parse(tap, json, uri, kind);
        CompletableFuture<Void> published = publish(parsed);
        if (forwarded == null) {
            published.whenComplete((ok, error) -> client.eventLoop().execute(() -> respond(
                    error != null ? HttpAnswers.notDurable(error) : HttpAnswers.standalone(method, query, kind, parsed), keepAlive, start)));
            return;
        }
        forwarded.whenComplete((response, error) -> client.eventLoop().execute(() -> {
            if (error != null) {
                tap.metrics().upstreamError(error instanceof ClosedChannelException ? "closed" : "unreachable");
                published.whenComplete((ok, e) -> client.eventLoop().execute(() -> respond(
                        HttpAnswers.error(HttpResponseStatus.SERVICE_UNAVAILABLE, "No upstream TSD answered", String.valueOf(error.getMessage())),
                        keepAlive, start)));
                return;
            }
            if (parsed.records().isEmpty()) {
                respond(response, keepAlive, start);
                return;
            }
            published.whenComplete((ok, e) -> client.eventLoop().execute(() -> {
                if (e != null && response.status().codeClass() == HttpStatusClass.SUCCESS) {
                    response.release();
                    respond(HttpAnswers.notDurable(e), keepAlive, start);
                } else {
                    respond(response, keepAlive, start);
                }
            }));
        }));
    }

    static PointKind putKind(String path) {
        String p = path.endsWith("/") && path.length() > 1 ? path.substring(0, path.length() - 1) : path;
        return switch (p) {
            case "/api/put", "/api/v1/put" -> PointKind.PUT;
            case "/api/rollup" -> PointKind.ROLLUP;
            case "/api/histogram" -> PointKind.HISTOGRAM;
            default -> null;
        };
    }

    /** Completes when the points are durable (in Kafka or the spool), or fails after {@code ack.timeout.ms}. */
    private CompletableFuture<Void> publish(PutBody.Parsed parsed) {
        return tap.publisher().publishAwaited(parsed.records()).orTimeout(tap.config().ackTimeoutMs(), TimeUnit.MILLISECONDS);
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
                waiting.completeExceptionally(new ClosedChannelException());
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            tap.metrics().upstreamError("protocol");
            ctx.close();
        }
    }

    /** Writes the answer to the request being handled, then handles the next one queued, or reads on. */
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
                return;
            }
            FullHttpRequest next = queued.poll();
            if (next != null) {
                handle(next);
            } else {
                busy = false;
                client.config().setAutoRead(true);
                client.read();
            }
        });
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        tap.metrics().connectionClosed(TapMetrics.Protocol.HTTP);
        queued.forEach(ReferenceCountUtil::release);
        queued.clear();
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
