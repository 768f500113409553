package io.rewind.tap.server;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerKeepAliveHandler;
import java.util.List;

/**
 * Tells HTTP from telnet by a connection's first byte, the way a TSD does: {@code A}–{@code Z} (an
 * HTTP method) is HTTP, anything else telnet; then puts that protocol's handlers in its place.
 */
public final class ProtocolDetector extends ByteToMessageDecoder {
    private final TapContext tap;

    public ProtocolDetector(TapContext tap) {
        this.tap = tap;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (!in.isReadable()) {
            return;
        }
        int first = in.getUnsignedByte(in.readerIndex());
        if (first >= 'A' && first <= 'Z') {
            ctx.pipeline().addAfter(ctx.name(), "http-codec", new HttpServerCodec(8192, 65536, 65536));
            // Answers "Expect: 100-continue" itself, and 413 for bodies over http.max.body.bytes.
            ctx.pipeline().addAfter("http-codec", "http-aggregator", new HttpObjectAggregator(tap.config().maxBodyBytes()));
            ctx.pipeline().addAfter("http-aggregator", "http", new HttpHandler(tap));
        } else {
            ctx.pipeline().addAfter(ctx.name(), "telnet", new TelnetHandler(tap));
        }
        ctx.pipeline().remove(this);
    }
}
