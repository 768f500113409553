package io.rewind.cli;

import io.rewind.restore.plan.Selection;
import io.rewind.service.TimeArgs;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Option;

/** What to take from the archive, shared by restore and export. */
final class SelectionOptions {
    @Option(names = "--from", required = true, paramLabel = "TIME",
            description = "First event time, inclusive: ISO-8601 (2026-11-21T13:00:00Z), epoch s or ms, or relative (-2h).")
    String from;

    @Option(names = "--to", defaultValue = "now", paramLabel = "TIME", description = "End of the event time, exclusive (default: now).")
    String to;

    @Option(names = "--as-of", paramLabel = "TIME",
            description = {"Restore the archive as it was at this ingest time: for each series and timestamp, the",
                    "latest version ingested at or before it; points first written after it are left out. Default: the latest."})
    String asOf;

    @Option(names = "--metric", paramLabel = "NAME", split = ",",
            description = "Only these metrics: exact names or globs (sys.cpu.*); repeatable. Default: every metric.")
    List<String> metrics = new ArrayList<>();

    @Option(names = "--tag", paramLabel = "K=V",
            description = "Only series with this tag: exact value, glob (web*), or * for any value; repeatable, all must match.")
    Map<String, String> tags = new LinkedHashMap<>();

    Selection selection(long nowMs) {
        return new Selection(TimeArgs.parseTime(from, nowMs), TimeArgs.parseTime(to, nowMs),
                asOf == null ? Long.MAX_VALUE : TimeArgs.parseTime(asOf, nowMs), metrics, tags);
    }
}
