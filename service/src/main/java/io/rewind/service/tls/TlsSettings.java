package io.rewind.service.tls;

import io.rewind.service.config.Parsers;
import io.rewind.service.config.Setting;
import io.rewind.service.config.Settings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The TLS settings of one port, declared once for every port that has them: {@code tls.*} for the tap's port,
 * {@code admin.tls.*} for the admin ports of the tap and the archiver. The same six keys under each prefix.
 */
public final class TlsSettings {
    /** The tap's port. */
    public static final TlsSettings TAP = new TlsSettings("tls.", "the tap's port",
            "off, optional (TLS and plaintext on the one port, told apart by a connection's first bytes) or required", true);
    /** An admin port: TLS or plaintext (its HTTP server cannot tell them apart on one port). */
    public static final TlsSettings ADMIN = new TlsSettings("admin.tls.", "the admin port", "off or required", false);

    private final String prefix;
    private final String port;
    private final boolean optionalAllowed;
    private final Setting<ServerTls.Mode> mode;
    private final Setting<Optional<String>> cert;
    private final Setting<Optional<String>> key;
    private final Setting<Optional<String>> ca;
    private final Setting<ServerTls.ClientCertificates> clientAuth;
    private final Setting<Long> reload;

    private TlsSettings(String prefix, String port, String modes, boolean optionalAllowed) {
        this.prefix = prefix;
        this.port = port;
        this.optionalAllowed = optionalAllowed;
        this.mode = new Setting<>(prefix + "mode", "off", "TLS on " + port + ": " + modes + ".", Parsers.oneOf(ServerTls.Mode.class));
        this.cert = new Setting<>(prefix + "cert.file", "", "The certificate chain of " + port + " (PEM), read again when it changes.",
                Parsers.optional(text -> text));
        this.key = new Setting<>(prefix + "key.file", "", "Its private key (PEM, PKCS#8).", Parsers.optional(text -> text));
        this.ca = new Setting<>(prefix + "ca.file", "", "The CA certificates (PEM) that sign the clients' certificates, for "
                + prefix + "client.auth.", Parsers.optional(text -> text));
        this.clientAuth = new Setting<>(prefix + "client.auth", "none", "Client certificates (mutual TLS): none, optional, or require (a"
                + " client without one signed by " + prefix + "ca.file is refused; needs " + prefix + "mode=required).", Parsers.oneOf(ServerTls.ClientCertificates.class));
        this.reload = new Setting<>(prefix + "reload.interval.ms", "30s", "How often the TLS files of " + port
                + " are checked for a change (a renewed certificate).", Parsers.millis(Duration.ofMillis(100), Duration.ofDays(1)));
    }

    /** The settings, for a component's list of settings and its {@code --help}. */
    public List<Setting<?>> settings() {
        return List.of(mode, cert, key, ca, clientAuth, reload);
    }

    /** The key of a setting under this prefix, e.g. {@code key("cert.file")}. */
    public String key(String name) {
        return prefix + name;
    }

    /** Reads them; what is wrong is added to the component's problems. */
    public ServerTls.Settings read(Settings s) {
        ServerTls.Mode m = s.get(mode);
        if (m == ServerTls.Mode.OPTIONAL && !optionalAllowed) {
            s.problem("The '" + mode.key() + "' value 'optional' is invalid: " + port + " takes TLS or plaintext, not both: off or required");
        }
        Long interval = s.get(reload);
        ServerTls.Settings tls = new ServerTls.Settings(prefix, m == null ? ServerTls.Mode.OFF : m, path(s.get(cert)), path(s.get(key)),
                path(s.get(ca)), s.get(clientAuth) == null ? ServerTls.ClientCertificates.NONE : s.get(clientAuth),
                interval == null ? 30_000 : interval);
        tls.problems().forEach(s::problem);
        return tls;
    }

    private static Optional<Path> path(Optional<String> text) {
        return text == null ? Optional.empty() : text.map(Path::of);
    }
}
