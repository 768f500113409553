package io.rewind.tap.server;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import io.rewind.tap.config.TapConfig;
import io.rewind.tap.metrics.TapMetrics;
import io.rewind.tap.record.PointRecord;
import io.rewind.tap.protocol.Rejection;
import io.rewind.tap.protocol.TelnetPutFastPath;
import io.rewind.tap.protocol.TelnetPutParser;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * A telnet client connection. Every line is read the way a TSD reads it (ISO-8859-1, split on
 * {@code \n}, a trailing {@code \r} dropped) and every valid {@code put}, {@code rollup} and
 * {@code histogram} is published; the bytes themselves go to the upstream TSD unchanged, and its
 * replies come back unchanged through {@link RelayHandler}. In standalone mode the tap answers
 * itself, with OpenTSDB's error lines.
 *
 * <p>A line longer than {@code max.line.bytes} ends the connection after the lines before it, as a
 * TSD ends it: nothing of that line is forwarded or published. With {@code durability=wal} the
 * bytes of a read are forwarded only once its points are fsync'ed in the spool, and reading waits
 * until then. Reading also stops while the upstream cannot take more bytes or the spool is full.
 */
public final class TelnetHandler extends ChannelInboundHandlerAdapter {
    static final String VERSION = "net.opentsdb.tools BuildData built at revision rewind-ingest-tap (standalone)\n"
            + "Rewind ingest-tap answering as an OpenTSDB 2.4 TSD; points go to Kafka only\n";
    private static final String HELP = "available commands: put rollup histogram version help exit\n";

    private final TapContext tap;
    private final boolean wal;
    private final byte[] line;
    private int lineLength;
    private Channel client;
    private Channel upstream;
    private List<ByteBuf> queued = new ArrayList<>();
    private boolean waitingForSpool;
    private boolean closing;

    public TelnetHandler(TapContext tap) {
        this.tap = tap;
        this.wal = tap.config().durability() == TapConfig.Durability.WAL;
        this.line = new byte[tap.config().maxLineBytes() + 1];
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        client = ctx.channel();
        tap.metrics().connectionOpened(TapMetrics.Protocol.TELNET);
        if (!tap.config().standalone()) {
            tap.connectUpstream(client, new RelayHandler(client), this::upstreamConnected);
        }
    }

    private void upstreamConnected(Channel channel) {
        if (channel == null) {
            tap.metrics().upstreamError("no_upstream");
            queued.forEach(ReferenceCountUtil::release);
            queued = null;
            client.close();
            return;
        }
        if (!client.isActive()) {
            channel.close();
            return;
        }
        upstream = channel;
        upstream.closeFuture().addListener(f -> client.eventLoop().execute(this::flushAndClose));
        upstream.read();
        for (ByteBuf bytes : queued) {
            upstream.write(bytes);
        }
        queued = null;
        upstream.flush();
        if (closing) {
            upstream.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        }
        updateReading();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf in = (ByteBuf) msg;
        try {
            if (!closing) {
                read(in);
            }
        } finally {
            in.release();
        }
    }

    /** Reads the lines of one read, publishes their points, and forwards its bytes (a slice of its own) or answers them. */
    private void read(ByteBuf in) {
        long receivedMs = System.currentTimeMillis();
        List<PointRecord> records = new ArrayList<>();
        StringBuilder replies = tap.config().standalone() ? new StringBuilder() : null;
        int start = in.readerIndex();
        int end = in.writerIndex();
        int from = start;
        int forwardEnd = end;
        int writes = 0;
        while (from < end) {
            int newline = in.indexOf(from, end, (byte) '\n');
            int stop = newline < 0 ? end : newline;
            if (lineLength + stop - from > line.length) {
                // Over max.line.bytes: the TSD closes such a connection; so does the tap, before this line.
                tap.metrics().rejected(TapMetrics.Protocol.TELNET, Rejection.Reason.LINE_TOO_LONG);
                tap.logRejected("telnet", "line of more than " + tap.config().maxLineBytes() + " bytes",
                        "OpenTSDB closes a connection that sends such a line; so does the tap");
                forwardEnd = from - lineLength;
                closing = true;
                break;
            }
            in.getBytes(from, line, lineLength, stop - from);
            lineLength += stop - from;
            if (newline < 0) {
                break;
            }
            if (handleLine(receivedMs, records, replies)) {
                writes++;
            }
            lineLength = 0;
            from = newline + 1;
        }
        tap.metrics().received(TapMetrics.Protocol.TELNET, writes);
        CompletableFuture<Void> published = tap.publisher().publish(records);
        if (replies != null) {
            if (!replies.isEmpty()) {
                client.writeAndFlush(Unpooled.copiedBuffer(replies, StandardCharsets.ISO_8859_1));
            }
            if (closing) {
                client.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
            }
        } else {
            ByteBuf forward = in.retainedSlice(start, Math.max(0, forwardEnd - start));
            if (wal && !records.isEmpty()) {
                waitingForSpool = true;
                updateReading();
                published.whenComplete((ok, error) -> client.eventLoop().execute(() -> {
                    waitingForSpool = false;
                    if (error != null) {
                        // The spool cannot be written (disk failure): the client must not believe these lines were taken.
                        forward.release();
                        client.close();
                        return;
                    }
                    forwardAndContinue(forward, true);
                }));
            } else {
                // Flushed at the end of this read loop (channelReadComplete): the TSD gets the reads of one loop in one write.
                forwardAndContinue(forward, false);
            }
        }
        if (tap.publisher().blocked() && !published.isDone()) {
            waitingForSpool = true;
            updateReading();
            published.whenComplete((ok, error) -> client.eventLoop().execute(() -> {
                waitingForSpool = false;
                updateReading();
            }));
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (upstream != null) {
            upstream.flush();
        }
        ctx.fireChannelReadComplete();
    }

    private void forwardAndContinue(ByteBuf bytes, boolean flush) {
        if (upstream == null) {
            if (queued != null) {
                queued.add(bytes);
            } else {
                bytes.release();
            }
        } else {
            if (flush || closing) {
                upstream.writeAndFlush(bytes);
            } else {
                upstream.write(bytes);
            }
            if (closing) {
                upstream.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
            }
        }
        updateReading();
    }

    /** Reads one line; true when it was a write ({@code put}, {@code rollup}, {@code histogram}), valid or not. */
    private boolean handleLine(long receivedMs, List<PointRecord> records, StringBuilder replies) {
        int length = lineLength;
        if (length > 0 && line[length - 1] == '\r') {
            length--;
        }
        TelnetPutFastPath fast = tap.telnetFastPath();
        PointRecord quick = fast == null ? null : fast.encode(line, length, receivedMs);
        if (quick != null) {
            records.add(quick);
            return true;
        }
        String text = new String(line, 0, length, StandardCharsets.ISO_8859_1);
        String command = TelnetPutParser.writeCommand(text);
        if (command == null) {
            if (replies != null) {
                answer(text, replies);
            }
            return false;
        }
        try {
            PointRecord record = tap.encode(tap.telnetParser().parse(text), receivedMs);
            if (record != null) {
                records.add(record);
            }
        } catch (Rejection e) {
            tap.metrics().rejected(TapMetrics.Protocol.TELNET, e.reason());
            tap.logRejected("telnet", text, e.telnetLine(command).trim());
            if (replies != null) {
                replies.append(e.telnetLine(command));
            }
        }
        return true;
    }

    /** Standalone: the TSD's answers to the commands that are not writes. */
    private void answer(String text, StringBuilder replies) {
        int space = text.indexOf(' ');
        String command = space < 0 ? text : text.substring(0, space);
        switch (command) {
            case "version" -> replies.append(VERSION);
            case "help" -> replies.append(HELP);
            case "exit" -> closing = true;
            default -> replies.append("unknown command: ").append(command).append(".  Try `help'.\n");
        }
    }

    /** Reads from the client only while the upstream can take bytes and no point waits for the spool. */
    void updateReading() {
        boolean read = !closing && !waitingForSpool && (upstream == null ? tap.config().standalone() || queued != null : upstream.isWritable());
        if (client.config().isAutoRead() != read) {
            client.config().setAutoRead(read);
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (upstream != null && ctx.channel().isWritable()) {
            upstream.read();
        }
        ctx.fireChannelWritabilityChanged();
    }

    private void flushAndClose() {
        if (client.isActive()) {
            client.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        tap.metrics().connectionClosed(TapMetrics.Protocol.TELNET);
        if (queued != null) {
            queued.forEach(ReferenceCountUtil::release);
            queued = null;
        }
        if (upstream != null) {
            upstream.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }

    /** The upstream TSD's side: its bytes go back to the client unchanged, read one buffer after the last is written. */
    static final class RelayHandler extends ChannelInboundHandlerAdapter {
        private final Channel client;

        RelayHandler(Channel client) {
            this.client = client;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            client.writeAndFlush(msg).addListener((ChannelFutureListener) future -> {
                if (future.isSuccess()) {
                    if (client.isWritable()) {
                        ctx.channel().read();
                    }
                } else {
                    ctx.channel().close();
                }
            });
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            TelnetHandler handler = client.pipeline().get(TelnetHandler.class);
            if (handler != null) {
                client.eventLoop().execute(handler::updateReading);
            }
            ctx.fireChannelWritabilityChanged();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
