package io.rewind.cli;

import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Where a verb that keeps running ({@code --every}, {@code --follow}) serves its metrics: {@code --admin-port}, {@code --admin-host} and TLS. */
final class AdminPortOptions {
    @Option(names = "--admin-port", paramLabel = "PORT", description = {"With --every or --follow: /metrics, /healthz and /readyz (default: 9473 for",
            "drill, 9474 for copy, 9475 for restore --follow; 0 picks a free port)."})
    Integer port;

    @Option(names = "--admin-host", defaultValue = "0.0.0.0", paramLabel = "HOST", description = "Address of the admin port (default: ${DEFAULT-VALUE}).")
    String host;

    @Mixin
    AdminTlsOptions tls;

    /** The admin port asked for, or this verb's default. */
    Schedule.AdminPort or(int defaultPort) {
        return new Schedule.AdminPort(host, port == null ? defaultPort : port, tls.settings());
    }
}
