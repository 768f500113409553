package io.rewind.tap.server;

import io.netty.channel.ChannelHandler;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.OptionalSslHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * TLS on the tap's port: a certificate and key in PEM files, TLS 1.3 and 1.2, client certificates required when asked
 * (mutual TLS, against a CA file), on a port that takes TLS only or TLS and plaintext alike (told apart by the first
 * bytes of a connection). The files are read again when they change, so a renewed certificate is served to new
 * connections without a restart; a file that does not load leaves the last good one in use, and says so.
 */
public final class TapTls implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TapTls.class);

    /** Whether the port takes TLS. */
    public enum Mode {
        OFF, OPTIONAL, REQUIRED
    }

    /** Whether a client must show a certificate the CA file signed. */
    public enum ClientCertificates {
        NONE, OPTIONAL, REQUIRE
    }

    /** The settings, as the tap's configuration gives them. */
    public record Settings(Mode mode, Optional<Path> certFile, Optional<Path> keyFile, Optional<Path> caFile,
            ClientCertificates clientCertificates, long reloadIntervalMs) {
        /** What is wrong with them, for the configuration's report; empty when they can be used. */
        public List<String> problems() {
            List<String> problems = new ArrayList<>();
            if (mode == Mode.OFF) {
                return problems;
            }
            if (certFile.isEmpty() || keyFile.isEmpty()) {
                problems.add("tls.mode=" + mode.name().toLowerCase() + " needs tls.cert.file and tls.key.file (PEM)");
            }
            if (clientCertificates != ClientCertificates.NONE && caFile.isEmpty()) {
                problems.add("tls.client.auth=" + clientCertificates.name().toLowerCase() + " needs tls.ca.file (PEM): the CA that signs the"
                        + " clients' certificates");
            }
            for (Optional<Path> file : List.of(certFile, keyFile, caFile)) {
                file.filter(f -> !Files.isReadable(f)).ifPresent(f -> problems.add("cannot read " + f));
            }
            return problems;
        }
    }

    private final Settings settings;
    private final AtomicReference<SslContext> context = new AtomicReference<>();
    private final ScheduledExecutorService reloads;
    private List<FileTime> loaded;

    private TapTls(Settings settings) throws IOException {
        this.settings = settings;
        this.loaded = stamps();
        context.set(build());
        this.reloads = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "rewind-tap-tls-reload");
            t.setDaemon(true);
            return t;
        });
        reloads.scheduleWithFixedDelay(this::reloadIfChanged, settings.reloadIntervalMs(), settings.reloadIntervalMs(), TimeUnit.MILLISECONDS);
    }

    /** TLS as configured, or empty when it is off. */
    public static Optional<TapTls> start(Settings settings) throws IOException {
        return settings.mode() == Mode.OFF ? Optional.empty() : Optional.of(new TapTls(settings));
    }

    /** The handler that opens a new connection: TLS only, or TLS when the client starts a handshake. */
    public ChannelHandler handler(ByteBufAllocator alloc) {
        SslContext current = context.get();
        return settings.mode() == Mode.REQUIRED ? current.newHandler(alloc) : new OptionalSslHandler(current);
    }

    private SslContext build() throws IOException {
        try {
            SslContextBuilder builder = SslContextBuilder.forServer(settings.certFile().orElseThrow().toFile(),
                    settings.keyFile().orElseThrow().toFile()).protocols("TLSv1.3", "TLSv1.2");
            if (settings.clientCertificates() != ClientCertificates.NONE) {
                builder.trustManager(settings.caFile().orElseThrow().toFile())
                        .clientAuth(settings.clientCertificates() == ClientCertificates.REQUIRE ? ClientAuth.REQUIRE : ClientAuth.OPTIONAL);
            }
            return builder.build();
        } catch (SSLException | IllegalArgumentException e) {
            throw new IOException("cannot load the tap's TLS certificate " + settings.certFile().orElseThrow() + " and key "
                    + settings.keyFile().orElseThrow() + ": " + e.getMessage(), e);
        }
    }

    private List<FileTime> stamps() throws IOException {
        List<FileTime> times = new ArrayList<>();
        for (Optional<Path> file : List.of(settings.certFile(), settings.keyFile(), settings.caFile())) {
            times.add(file.isPresent() ? Files.getLastModifiedTime(file.get()) : FileTime.fromMillis(0));
        }
        return times;
    }

    private void reloadIfChanged() {
        try {
            List<FileTime> now = stamps();
            if (now.equals(loaded)) {
                return;
            }
            loaded = now;
            context.set(build());
            LOG.info("Reloaded the TLS certificate {}: new connections get it", settings.certFile().orElseThrow());
        } catch (IOException | RuntimeException e) {
            LOG.warn("The TLS files changed but do not load; connections keep the last good certificate: {}", e.getMessage());
        }
    }

    @Override
    public void close() {
        reloads.shutdownNow();
    }
}
