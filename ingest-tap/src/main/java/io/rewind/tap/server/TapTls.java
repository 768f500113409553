package io.rewind.tap.server;

import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelHandler;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.OptionalSslHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.rewind.service.tls.ServerTls;
import java.io.IOException;
import java.util.Optional;
import javax.net.ssl.SSLException;

/**
 * TLS on the tap's port ({@code tls.*}, see {@link ServerTls}): on a port that takes TLS only or TLS and plaintext alike
 * (told apart by the first bytes of a connection). The Netty context is built once on {@link ServerTls}'s managers, so a
 * renewed certificate reaches new connections without a restart.
 */
public final class TapTls implements AutoCloseable {
    private final ServerTls tls;
    private final SslContext context;

    private TapTls(ServerTls tls) throws IOException {
        this.tls = tls;
        try {
            SslContextBuilder builder = SslContextBuilder.forServer(tls.keyManager()).protocols(ServerTls.PROTOCOLS);
            tls.trustManager().ifPresent(trust -> builder.trustManager(trust).clientAuth(
                    tls.settings().clientCertificates() == ServerTls.ClientCertificates.REQUIRE ? ClientAuth.REQUIRE : ClientAuth.OPTIONAL));
            this.context = builder.build();
        } catch (SSLException | IllegalArgumentException e) {
            throw new IOException("cannot set up TLS on the tap's port: " + e.getMessage(), e);
        }
    }

    /** TLS as configured, or empty when it is off. */
    public static Optional<TapTls> start(ServerTls.Settings settings) throws IOException {
        Optional<ServerTls> tls = ServerTls.start(settings, "the tap's port");
        if (tls.isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(new TapTls(tls.get()));
        } catch (IOException | RuntimeException e) {
            tls.get().close();
            throw e;
        }
    }

    /** The handler that opens a new connection: TLS only, or TLS when the client starts a handshake. */
    public ChannelHandler handler(ByteBufAllocator alloc) {
        return tls.settings().mode() == ServerTls.Mode.REQUIRED ? context.newHandler(alloc) : new OptionalSslHandler(context);
    }

    @Override
    public void close() {
        tls.close();
    }
}
