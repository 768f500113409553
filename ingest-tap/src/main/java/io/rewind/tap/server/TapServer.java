package io.rewind.tap.server;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The tap's one client port: telnet and HTTP, told apart per connection ({@link ProtocolDetector}), over TLS when
 * configured ({@link TapTls}).
 * Limits the number of connections and closes idle ones. {@link #close} stops accepting, lets open
 * connections finish what they are doing for a grace period, then closes them.
 */
public final class TapServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TapServer.class);

    private final EventLoopGroup boss;
    private final EventLoopGroup workers;
    private final Channel server;
    private final ChannelGroup clients;
    private final java.util.Optional<TapTls> tls;

    private TapServer(EventLoopGroup boss, EventLoopGroup workers, Channel server, ChannelGroup clients, java.util.Optional<TapTls> tls) {
        this.tls = tls;
        this.boss = boss;
        this.workers = workers;
        this.server = server;
        this.clients = clients;
    }

    public static TapServer start(TapContext tap) throws InterruptedException, java.io.IOException {
        java.util.Optional<TapTls> tls = TapTls.start(tap.config().tls());
        EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        EventLoopGroup workers = new MultiThreadIoEventLoopGroup(NioIoHandler.newFactory());
        AtomicInteger open = new AtomicInteger();
        ChannelGroup clients = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
        long idleMs = tap.config().idleTimeoutMs();
        try {
            Channel server = new ServerBootstrap().group(boss, workers).channel(NioServerSocketChannel.class)
                    .option(ChannelOption.SO_BACKLOG, 1024)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            if (open.incrementAndGet() > tap.config().maxConnections()) {
                                open.decrementAndGet();
                                tap.metrics().upstreamError("max_connections");
                                LOG.warn("Refused a connection from {}: max.connections ({}) are open", ch.remoteAddress(), tap.config().maxConnections());
                                ch.close();
                                return;
                            }
                            ch.closeFuture().addListener(f -> open.decrementAndGet());
                            clients.add(ch);
                            if (idleMs > 0) {
                                ch.pipeline().addLast("idle", new IdleStateHandler(0, 0, idleMs, TimeUnit.MILLISECONDS));
                                ch.pipeline().addLast("idle-close", new ChannelInboundHandlerAdapter() {
                                    @Override
                                    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
                                        if (event instanceof IdleStateEvent) {
                                            ctx.close();
                                        } else {
                                            ctx.fireUserEventTriggered(event);
                                        }
                                    }
                                });
                            }
                            tls.ifPresent(t -> ch.pipeline().addLast("tls", t.handler(ch.alloc())));
                            ch.pipeline().addLast("detect", new ProtocolDetector(tap));
                        }
                    })
                    .bind(tap.config().listenHost(), tap.config().listenPort()).sync().channel();
            return new TapServer(boss, workers, server, clients, tls);
        } catch (InterruptedException | RuntimeException e) {
            tls.ifPresent(TapTls::close);
            boss.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            workers.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            throw e;
        }
    }

    public int port() {
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    /** Stops accepting, waits up to {@code grace} for clients to finish and leave, then closes the rest. */
    public void close(Duration grace) {
        server.close().syncUninterruptibly();
        long deadline = System.nanoTime() + grace.toNanos();
        while (!clients.isEmpty() && System.nanoTime() < deadline) {
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        clients.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        boss.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        tls.ifPresent(TapTls::close);
    }

    @Override
    public void close() {
        close(Duration.ofSeconds(5));
    }
}
