package io.rewind.cli;

import io.rewind.service.tls.ServerTls;
import java.nio.file.Path;
import java.util.Optional;
import picocli.CommandLine.Option;

/** TLS on a verb's admin port, named as the tap's and the archiver's {@code admin.tls.*} settings. */
final class AdminTlsOptions {
    @Option(names = "--admin-tls-cert-file", paramLabel = "PEM",
            description = "Serve the admin port over HTTPS with this certificate chain (read again when it changes).")
    Path cert;

    @Option(names = "--admin-tls-key-file", paramLabel = "PEM", description = "Its private key (PKCS#8).")
    Path key;

    @Option(names = "--admin-tls-ca-file", paramLabel = "PEM", description = "The CA that signs the clients' certificates.")
    Path ca;

    @Option(names = "--admin-tls-client-auth", defaultValue = "none", paramLabel = "none|optional|require",
            description = "Client certificates on the admin port (default: ${DEFAULT-VALUE}).")
    String clientAuth;

    /** The settings; fails naming what is missing. */
    ServerTls.Settings settings() {
        if (cert == null && key == null) {
            if (ca != null || !clientAuth.equals("none")) {
                throw new IllegalArgumentException("--admin-tls-ca-file and --admin-tls-client-auth need --admin-tls-cert-file and --admin-tls-key-file");
            }
            return ServerTls.Settings.off("--admin-tls-");
        }
        ServerTls.ClientCertificates clients = io.rewind.service.config.Parsers.oneOf(ServerTls.ClientCertificates.class).apply(clientAuth);
        ServerTls.Settings settings = new ServerTls.Settings("admin.tls.", ServerTls.Mode.REQUIRED, Optional.ofNullable(cert),
                Optional.ofNullable(key), Optional.ofNullable(ca), clients, 30_000);
        if (!settings.problems().isEmpty()) {
            throw new IllegalArgumentException(String.join("; ", settings.problems()).replace("admin.tls.", "--admin-tls-")
                    .replace(".file", "-file").replace("client.auth", "client-auth"));
        }
        return settings;
    }
}
