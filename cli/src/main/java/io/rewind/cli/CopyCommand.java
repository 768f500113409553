package io.rewind.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.rewind.archive.RateLimit;
import io.rewind.archive.copy.ArchiveCopy;
import io.rewind.archive.location.Storages;
import io.rewind.archive.storage.Storage;
import io.rewind.service.TimeArgs;
import io.rewind.service.config.Parsers;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "copy", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Keeps a second copy of the archive in another storage (another region, another provider): copies what",
                "the copy lacks, byte for byte (encrypted files stay encrypted), checking each file's checksum as it is read",
                "and again in the copy. Resumable: a rerun continues. list, verify and restore work on the copy alone."})
final class CopyCommand implements Callable<Integer> {
    @Option(names = "--from", required = true, paramLabel = "URI", description = "The archive: a directory or s3://bucket/prefix?...")
    String from;

    @Option(names = "--to", required = true, paramLabel = "URI", description = "The copy: a directory or s3://bucket/prefix?...")
    String to;

    @Option(names = "--delete", description = {"Also delete from the copy the files the archive no longer holds (superseded parts,",
            "expired windows), once everything else is copied; a run with a problem, or that the archive changed under",
            "(exit 1), deletes nothing. Without it the copy keeps them."})
    boolean delete;

    @Option(names = "--dry-run", description = "Say what would be copied and deleted; change nothing.")
    boolean dryRun;

    @Option(names = "--parallelism", defaultValue = "4", paramLabel = "N", description = "Files copied at once (default: ${DEFAULT-VALUE}).")
    int parallelism;

    @Option(names = "--max-rate", defaultValue = "0", paramLabel = "BYTES/S",
            description = "At most this many bytes per second read from the archive (50MiB, 1GiB); 0 (default): no limit.")
    String maxRate;

    @Option(names = "--scratch", paramLabel = "DIR", description = "Where a file waits between the two storages (default: the temporary directory).")
    Path scratch;

    @Option(names = "--every", paramLabel = "DURATION",
            description = "Keep running: a copy every DURATION (15m), with metrics on --admin-port. A failed run does not stop it.")
    String every;

    @CommandLine.Mixin
    AdminPortOptions admin;

    @Option(names = "--json", description = "Print each run's result as JSON.")
    boolean json;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (parallelism < 1) {
            throw new IllegalArgumentException("--parallelism must be at least 1");
        }
        long rate;
        try {
            rate = Parsers.bytes(0, Long.MAX_VALUE).apply(maxRate);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--max-rate " + maxRate + ": " + e.getMessage());
        }
        ArchiveCopy.Options options = new ArchiveCopy.Options(delete, dryRun, parallelism, RateLimit.of(rate),
                scratch != null ? scratch : Path.of(System.getProperty("java.io.tmpdir"), "rewind-copy"));
        PrintWriter out = spec.commandLine().getOut();
        try (Storage source = Storages.open(from); Storage copy = Storages.open(to)) {
            if (source.uri().equals(copy.uri())) {
                throw new IllegalArgumentException("--from and --to are the same storage: " + source.uri());
            }
            if (every == null) {
                return report(out, source, copy, ArchiveCopy.run(source, copy, options, new ArchiveCopy.Counts()));
            }
            long intervalMs = TimeArgs.parseDuration(every);
            CopyMetrics metrics = new CopyMetrics(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), intervalMs);
            Schedule.serving("Copying", source.uri() + " to " + copy.uri(), every, intervalMs, admin.or(9474), metrics.registry(), out, () -> {
                        String at = " at " + TimeArgs.format(System.currentTimeMillis());
                        try {
                            ArchiveCopy.Result result = ArchiveCopy.run(source, copy, options, new ArchiveCopy.Counts());
                            metrics.ran(result, dryRun, System.currentTimeMillis());
                            report(out, source, copy, result);
                            return (result.complete() ? "last copy complete" : "LAST COPY INCOMPLETE") + at;
                        } catch (java.io.IOException | java.io.UncheckedIOException e) {
                            metrics.error(System.currentTimeMillis());
                            out.println("COPY FAILED" + at + ": " + e.getMessage() + " (the next run continues)");
                            return "last copy failed" + at + ": " + e.getMessage();
                        }
                    });
            return RewindCli.OK;
        }
    }

    /** Prints a run's result; exit 1 when it found a problem or left work for the next run (the copy is not complete). */
    int report(PrintWriter out, Storage source, Storage copy, ArchiveCopy.Result result) {
        if (json) {
            ObjectNode node = Report.JSON.createObjectNode().put("from", source.uri().toString()).put("to", copy.uri().toString())
                    .put("dryRun", dryRun).put("copied", result.copied()).put("copiedBytes", result.copiedBytes())
                    .put("alreadyThere", result.alreadyThere()).put("unpublished", result.unpublished()).put("gone", result.gone())
                    .put("deleted", result.deleted()).put("complete", result.complete()).put("seconds", result.elapsedMs() / 1000.0);
            result.problems().forEach(node.withArray("problems")::add);
            out.println(node.toPrettyString());
        } else {
            out.printf("%s %s to %s: %,d object(s) %s, %s; %,d already there; %,d file(s) not yet published in the archive (the next"
                    + " run copies them); %,d file(s) gone from the archive since it was listed (replaced by a compaction: the next run"
                    + " copies what replaced them); %,d deleted%s; in %.1f s.%n", dryRun ? "Would copy" : "Copied", source.uri(),
                    copy.uri(), result.copied(), dryRun ? "to copy" : "copied", Report.bytes(result.copiedBytes()), result.alreadyThere(),
                    result.unpublished(), result.gone(), result.deleted(), !delete ? " (--delete mirrors deletions)"
                            : result.complete() ? "" : " (deletions wait for a complete run)", result.elapsedMs() / 1000.0);
            result.problems().forEach(p -> out.println("PROBLEM: " + p));
            if (result.sound() && !result.complete()) {
                out.printf("INCOMPLETE: run rewind copy again: the archive changed while this run copied (%,d file(s) gone).%n",
                        result.gone());
            }
        }
        out.flush();
        return result.complete() ? RewindCli.OK : RewindCli.PROBLEMS;
    }
}
