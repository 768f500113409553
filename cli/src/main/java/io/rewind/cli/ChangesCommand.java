package io.rewind.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.rewind.archive.storage.Storage;
import io.rewind.restore.Batches;
import io.rewind.restore.RestorePlan;
import io.rewind.restore.changes.ArchiveChanges;
import io.rewind.restore.plan.Transforms;
import io.rewind.service.TimeArgs;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "changes", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"What changed in the archive while points arrived from --from to --to, per metric and minute of arrival:",
                "points rewritten with another value, resent, backfilled (a timestamp's first value, arriving late), new series,",
                "and the volume against the metric's usual rate. Ends with the restore that the first burst of rewrites suggests:",
                "as of the millisecond before it, for the metrics it rewrote, over the event times they were rewritten at."})
final class ChangesCommand implements Callable<Integer> {
    /** Columns of the timeline at most; longer ranges put several minutes in a column. */
    static final int TIMELINE_COLUMNS = 60;

    @Mixin
    ArchiveOptions archive;

    @Option(names = "--from", defaultValue = "-1h", paramLabel = "TIME",
            description = "First arrival (ingest) time, inclusive: ISO-8601, epoch s or ms, or relative (default: ${DEFAULT-VALUE}).")
    String from;

    @Option(names = "--to", defaultValue = "now", paramLabel = "TIME", description = "End of the arrivals, exclusive (default: now).")
    String to;

    @Option(names = "--metric", paramLabel = "NAME", split = ",", description = "Only these metrics: exact names or globs; repeatable.")
    List<String> metrics = new ArrayList<>();

    @Option(names = "--tag", paramLabel = "K=V", description = "Only series with this tag (exact, glob or *); repeatable, all must match.")
    Map<String, String> tags = new LinkedHashMap<>();

    @Option(names = "--lookback", defaultValue = "1h", paramLabel = "DURATION",
            description = {"How far before --from the arrivals give each metric's usual rate and the series already known",
                    "(default: ${DEFAULT-VALUE})."})
    String lookback;

    @Option(names = "--backfill-after", defaultValue = "1h", paramLabel = "DURATION",
            description = "A timestamp's first value arriving this much later than its timestamp is a backfill (default: ${DEFAULT-VALUE}).")
    String backfillAfter;

    @Option(names = "--min-burst", defaultValue = "10", paramLabel = "N",
            description = "Rewrites a burst needs to suggest a restore (default: ${DEFAULT-VALUE}); smaller bursts are listed only.")
    long minBurst;

    @Option(names = "--target", paramLabel = "URL", defaultValue = "http://TSD:4242",
            description = "The TSD the suggested restore names (default: ${DEFAULT-VALUE}).")
    String target;

    @Option(names = "--json", description = "Print the analysis as JSON, for tools.")
    boolean json;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        long now = System.currentTimeMillis();
        ArchiveChanges.Settings settings = new ArchiveChanges.Settings(archive.topic, TimeArgs.parseTime(from, now), TimeArgs.parseTime(to, now),
                TimeArgs.parseDuration(lookback), TimeArgs.parseDuration(backfillAfter), minBurst, metrics, tags);
        PrintWriter out = spec.commandLine().getOut();
        try (Storage storage = archive.open()) {
            ArchiveChanges.Result result = ArchiveChanges.analyze(storage, settings);
            Map<String, Long> restores = Map.of();
            List<String> command = List.of();
            if (result.suggestion().isPresent()) {
                ArchiveChanges.Suggestion s = result.suggestion().get();
                restores = Batches.countPerMetric(storage, RestorePlan.of(storage, archive.topic, s.selection()), Transforms.NONE);
                command = restoreCommand(s);
            }
            if (json) {
                out.println(Report.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(json(result, restores, command)));
            } else {
                text(out, result, restores, command);
            }
        }
        out.flush();
        return RewindCli.OK;
    }

    /** The suggested restore, as a user types it after {@code bin/rewind}. */
    List<String> restoreCommand(ArchiveChanges.Suggestion s) {
        List<String> command = new ArrayList<>(List.of("restore", "--archive", archive.archive, "--topic", archive.topic));
        if (archive.keyset != null) {
            command.addAll(List.of("--keyset", archive.keyset.toString()));
        }
        if (archive.allowUnchecked) {
            command.add("--allow-unchecked");
        }
        if (archive.allowPlaintext) {
            command.add("--allow-plaintext");
        }
        command.addAll(List.of("--from", TimeArgs.format(s.fromMs()), "--to", TimeArgs.format(s.toMs()), "--as-of", TimeArgs.format(s.asOfMs()),
                "--metric", String.join(",", s.metrics())));
        s.tags().forEach((k, v) -> command.addAll(List.of("--tag", k + "=" + v)));
        command.addAll(List.of("--target", target, "--verify"));
        return command;
    }

    private static ObjectNode json(ArchiveChanges.Result result, Map<String, Long> restores, List<String> command) {
        ObjectNode root = Report.JSON.createObjectNode();
        ArchiveChanges.Settings s = result.settings();
        root.put("topic", s.topic()).put("fromMs", s.fromMs()).put("toMs", s.toMs()).put("lookbackMs", s.lookbackMs())
                .put("backfillAfterMs", s.backfillAfterMs()).put("archivedUntilMs", result.archivedUntilMs()).put("endMs", result.endMs())
                .put("unitsRead", result.unitsRead()).put("versionsRead", result.versionsRead());
        ArrayNode metrics = root.putArray("metrics");
        for (ArchiveChanges.MetricChanges m : result.metrics()) {
            ObjectNode node = metrics.addObject().put("metric", m.metric()).put("arrivals", m.arrivals()).put("rewritten", m.rewritten())
                    .put("resent", m.resent()).put("backfilled", m.backfilled()).put("newSeries", m.newSeries())
                    .put("usualPerMinute", m.usualPerMinute());
            m.spikes().forEach(node.putArray("spikes")::add);
            m.drops().forEach(node.putArray("drops")::add);
            if (m.firstRewrite() != null) {
                ArchiveChanges.Example e = m.firstRewrite();
                node.putObject("firstRewrite").put("series", e.series()).put("timestampMs", e.timestampMs())
                        .put("before", String.valueOf(e.before())).put("after", String.valueOf(e.after())).put("ingestMs", e.ingestMs());
            }
            ArrayNode minutes = node.putArray("minutes");
            m.minutes().forEach((start, minute) -> minutes.addObject().put("minuteMs", start).put("arrivals", minute.arrivals())
                    .put("rewritten", minute.rewritten()).put("rewrittenInSameMs", minute.rewrittenInSameMs()).put("resent", minute.resent())
                    .put("backfilled", minute.backfilled()).put("newSeries", minute.newSeries()));
        }
        ArrayNode bursts = root.putArray("bursts");
        for (ArchiveChanges.Burst b : result.bursts()) {
            ObjectNode node = bursts.addObject().put("startMs", b.startMs()).put("endMs", b.endMs()).put("rewritten", b.rewritten())
                    .put("firstRewriteMs", b.firstRewriteMs());
            b.metrics().forEach(node.putArray("metrics")::add);
        }
        result.suggestion().ifPresent(sug -> {
            ObjectNode node = root.putObject("suggestion").put("asOfMs", sug.asOfMs()).put("asOf", TimeArgs.format(sug.asOfMs()))
                    .put("fromMs", sug.fromMs()).put("toMs", sug.toMs()).put("burstStartMs", sug.burst().startMs())
                    .put("rewrittenBefore", sug.rewrittenBefore());
            sug.metrics().forEach(node.putArray("metrics")::add);
            ObjectNode tagsNode = node.putObject("tags");
            sug.tags().forEach(tagsNode::put);
            ObjectNode points = node.putObject("points");
            restores.forEach(points::put);
            node.put("pointsTotal", restores.values().stream().mapToLong(Long::longValue).sum());
            command.forEach(node.putArray("command")::add);
        });
        return root;
    }

    private static void text(PrintWriter out, ArchiveChanges.Result result, Map<String, Long> restores, List<String> command) {
        ArchiveChanges.Settings s = result.settings();
        out.printf("Arrivals from %s to %s in the archive of '%s'; %s. %,d version(s) read in %,d unit(s).%n", TimeArgs.format(s.fromMs()),
                TimeArgs.format(s.toMs()), s.topic(), result.archivedUntilMs() == Long.MIN_VALUE ? "the archive holds no arrival"
                        : "it holds arrivals up to " + TimeArgs.format(result.archivedUntilMs()), result.versionsRead(), result.unitsRead());
        if (result.endMs() <= s.fromMs()) {
            out.println("The archive holds no arrival from --from on: nothing to judge (the archiver commits every half minute or so).");
            return;
        }
        if (result.metrics().isEmpty()) {
            out.println("Nothing changed: no rewrite, no backfill, no new series, no unusual volume.");
            return;
        }
        int width = Math.max(6, result.metrics().stream().mapToInt(m -> m.metric().length()).max().orElse(6));
        out.println();
        out.printf("%-" + width + "s %12s %10s %8s %10s %10s %10s  %s%n", "metric", "arrived", "rewritten", "resent", "backfilled", "new series",
                "usual/min", "unusual minutes");
        for (ArchiveChanges.MetricChanges m : result.metrics()) {
            String unusual = (m.spikes().isEmpty() ? "" : m.spikes().size() + " above") + (m.spikes().isEmpty() || m.drops().isEmpty() ? "" : ", ")
                    + (m.drops().isEmpty() ? "" : m.drops().size() + " below");
            out.printf("%-" + width + "s %,12d %,10d %,8d %,10d %,10d %,10.0f  %s%n", m.metric(), m.arrivals(), m.rewritten(), m.resent(),
                    m.backfilled(), m.newSeries(), m.usualPerMinute(), unusual);
        }
        timeline(out, result, width);
        if (!result.bursts().isEmpty()) {
            out.println();
            out.println("Bursts of rewrites (minutes of arrival with rewrites, at most 5 minutes apart):");
            for (ArchiveChanges.Burst b : result.bursts()) {
                out.printf("  %s .. %s  %,d point(s) of %s; the first arrived at %s%s%n", TimeArgs.format(b.startMs()), TimeArgs.format(b.endMs()),
                        b.rewritten(), String.join(", ", b.metrics()), TimeArgs.format(b.firstRewriteMs()),
                        b.rewritten() < s.minBurst() ? " (fewer than --min-burst " + s.minBurst() + ")" : "");
            }
            for (ArchiveChanges.MetricChanges m : result.metrics()) {
                if (m.firstRewrite() != null) {
                    ArchiveChanges.Example e = m.firstRewrite();
                    out.printf("  first rewrite of %s: %s at %s, %s -> %s%n", m.metric(), e.series(), TimeArgs.format(e.timestampMs()), e.before(),
                            e.after());
                }
            }
        }
        out.println();
        if (result.suggestion().isEmpty()) {
            out.println(result.bursts().isEmpty() ? "No rewrites: nothing suggests a point in time to restore (backfills and new series are"
                    + " not undone by --as-of; see --replace in 'rewind restore --help')."
                    : "No burst of " + s.minBurst() + " rewrites or more (--min-burst): no restore suggested.");
            return;
        }
        ArchiveChanges.Suggestion sug = result.suggestion().get();
        out.printf("Suggested restore: the archive as it was the millisecond before the first burst (%s), for the metric(s) it%n"
                + "rewrote, over the event times it rewrote them at:%n", TimeArgs.format(sug.burst().firstRewriteMs()));
        out.println("  bin/rewind " + String.join(" ", command.stream().map(ChangesCommand::quoted).toList()));
        out.printf("It writes %,d point(s): %s (what 'restore --dry-run' counts). Points the metrics first received after the as-of%n"
                + "time are left as the target holds them; --replace removes them too.%n", restores.values().stream().mapToLong(Long::longValue).sum(),
                String.join(", ", restores.entrySet().stream().map(e -> String.format("%,d of %s", e.getValue(), e.getKey())).toList()));
        long tied = result.metrics().stream().filter(m -> sug.metrics().contains(m.metric()))
                .flatMap(m -> m.minutes().subMap(sug.burst().startMs(), true, sug.burst().endMs(), false).values().stream())
                .mapToLong(ArchiveChanges.Minute::rewrittenInSameMs).sum();
        if (tied > 0) {
            out.printf("Note: %,d of these rewrites arrived in the same millisecond as the value they replaced: no --as-of tells the two"
                    + " apart, and the restore leaves those timestamps out.%n", tied);
        }
        if (sug.rewrittenBefore() > 0) {
            out.printf("WARNING: %,d rewrite(s) of %s arrived before this burst (in the look-back before --from, or in smaller bursts):"
                    + " the incident may have begun then. Look at them (an earlier --from, --min-burst 1) before restoring as of this"
                    + " suggestion.%n", sug.rewrittenBefore(), String.join(", ", sug.metrics()));
        }
        long later = result.bursts().stream().filter(b -> b.startMs() > sug.burst().startMs()).count();
        if (later > 0) {
            out.printf("%,d later burst(s) are not part of this suggestion: run changes with --from after this one to see theirs.%n", later);
        }
    }

    /**
     * One row per metric that changed, one column per minute of arrival (or per several, for long ranges): what the minute
     * held, the changes (rewritten and backfilled points) on a scale of the largest column.
     */
    private static void timeline(PrintWriter out, ArchiveChanges.Result result, int width) {
        long first = ArchiveChanges.minuteOf(result.settings().fromMs());
        long end = Math.max(first + ArchiveChanges.MINUTE_MS, result.endMs());
        long minutes = (end - first + ArchiveChanges.MINUTE_MS - 1) / ArchiveChanges.MINUTE_MS;
        long perColumn = Math.max(1, (minutes + TIMELINE_COLUMNS - 1) / TIMELINE_COLUMNS);
        int columns = (int) ((minutes + perColumn - 1) / perColumn);
        long columnMs = perColumn * ArchiveChanges.MINUTE_MS;
        long max = 1;
        List<long[]> rows = new ArrayList<>();
        for (ArchiveChanges.MetricChanges m : result.metrics()) {
            long[] changed = new long[columns];
            m.minutes().forEach((start, minute) -> {
                int c = (int) ((start - first) / columnMs);
                if (c >= 0 && c < columns) {
                    changed[c] += minute.rewritten() + minute.backfilled();
                }
            });
            for (long n : changed) {
                max = Math.max(max, n);
            }
            rows.add(changed);
        }
        out.println();
        out.printf("Timeline from %s, one column per %s:%n", TimeArgs.format(first), perColumn == 1 ? "minute" : perColumn + " minutes");
        String ramp = ":-=*#";
        for (int r = 0; r < rows.size(); r++) {
            ArchiveChanges.MetricChanges m = result.metrics().get(r);
            StringBuilder line = new StringBuilder();
            for (int c = 0; c < columns; c++) {
                long start = first + c * columnMs;
                long stop = start + columnMs;
                long changed = rows.get(r)[c];
                var held = m.minutes().subMap(start, true, stop, false).values();
                if (changed > 0) {
                    int level = (int) Math.min(ramp.length() - 1, Math.floor(Math.log(changed) / Math.log(max + 1) * ramp.length()));
                    line.append(ramp.charAt(Math.max(0, level)));
                } else if (held.stream().anyMatch(minute -> minute.newSeries() > 0)) {
                    line.append('+');
                } else if (m.spikes().stream().anyMatch(t -> t >= start && t < stop)) {
                    line.append('^');
                } else if (m.drops().stream().anyMatch(t -> t >= start && t < stop)) {
                    line.append('v');
                } else {
                    line.append(held.stream().anyMatch(minute -> minute.arrivals() > 0) ? '.' : ' ');
                }
            }
            out.printf("%-" + width + "s |%s|%n", m.metric(), line);
        }
        out.printf("%-" + width + "s  %s%n", "", "'.' arrivals  '+' new series  '^' / 'v' volume above / below the usual  " + ramp
                + " rewritten or backfilled points, few to most");
    }

    private static String quoted(String argument) {
        return argument.matches("[A-Za-z0-9_./:=,@%+-]+") ? argument : "'" + argument.replace("'", "'\\''") + "'";
    }
}
