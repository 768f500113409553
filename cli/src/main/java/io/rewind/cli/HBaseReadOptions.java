package io.rewind.cli;

import io.rewind.archive.RateLimit;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/** How the verbs that read a cluster's HBase tables (baseline, heal) read them: how many ranges at once, how fast, how patiently. */
public final class HBaseReadOptions {
    @Option(names = "--parallelism", defaultValue = "2", paramLabel = "N", description = "Key ranges read at once (default: ${DEFAULT-VALUE}).")
    int parallelism;

    @Option(names = "--max-rate", defaultValue = "0", paramLabel = "POINTS/S",
            description = "At most this many points per second over all readers, to spare a live cluster (default: no limit).")
    double maxRate;

    @Option(names = "--max-attempts", defaultValue = "5", paramLabel = "N",
            description = "Tries of a key range whose read fails (HBase unreachable, a region moving) before the run stops (default: ${DEFAULT-VALUE}).")
    int maxAttempts;

    @Option(names = "--hbase", paramLabel = "KEY=VALUE", description = "An HBase client setting (repeatable), e.g. hbase.rpc.timeout=120000.")
    Map<String, String> hbaseSettings = new LinkedHashMap<>();

    /** Refuses what cannot work, in the options' own words. */
    void check() {
        if (parallelism < 1 || maxAttempts < 1) {
            throw new IllegalArgumentException("--parallelism and --max-attempts are at least 1");
        }
    }

    RateLimit rate() {
        return RateLimit.of(maxRate);
    }
}
