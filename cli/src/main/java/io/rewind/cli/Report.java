package io.rewind.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.rewind.archive.storage.Storage;
import io.rewind.opentsdb.hbase.RowWriter;
import io.rewind.restore.Restore;
import io.rewind.restore.RestorePlan;
import io.rewind.restore.check.TargetVerifier;
import io.rewind.restore.plan.Checkpoint;
import io.rewind.restore.plan.Selection;
import io.rewind.restore.source.KafkaTail;
import io.rewind.restore.source.TailPosition;
import io.rewind.restore.targets.RowTarget;
import io.rewind.service.RejectFile;
import io.rewind.service.TimeArgs;
import java.io.PrintWriter;
import java.util.Map;

/** How the verbs print what they did: for people, or as JSON for scripts. */
public final class Report {
    static final ObjectMapper JSON = new ObjectMapper();
    private static final int SHOWN = 20;

    private Report() {
    }

    static String range(Selection s) {
        return "[" + TimeArgs.format(s.fromMs()) + ", " + (s.toMs() == Long.MAX_VALUE ? "no end" : TimeArgs.format(s.toMs())) + ")"
                + (s.asOfMs() == Long.MAX_VALUE ? "" : " as of " + TimeArgs.format(s.asOfMs()));
    }

    /** A size for people: 512 B, 14.2 KiB, 1.3 GiB. */
    public static String bytes(long n) {
        if (n < 1024) {
            return n + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double v = n;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format("%.1f %s", v, units[u]);
    }

    /**
     * The plan of a dry run.
     *
     * @param predicted for a dry run into storage as rows: what the restore would change in them, with {@code refused}
     *        points a TSD would refuse; else null
     */
    static void plan(PrintWriter out, boolean json, Storage storage, RestorePlan plan, Map<String, Long> perMetric, RowTarget predicted,
            long refused) {
        long points = perMetric.values().stream().mapToLong(Long::longValue).sum();
        if (json) {
            ObjectNode node = JSON.createObjectNode();
            node.put("archive", storage.uri().toString()).put("topic", plan.topic())
                    .put("from", TimeArgs.format(plan.selection().fromMs())).put("to", plan.selection().toMs() == Long.MAX_VALUE ? null : TimeArgs.format(plan.selection().toMs()));
            if (plan.selection().asOfMs() != Long.MAX_VALUE) {
                node.put("asOf", TimeArgs.format(plan.selection().asOfMs()));
            }
            node.put("units", plan.units().size()).put("files", plan.files()).put("bytes", plan.bytes()).put("points", points);
            ArrayNode files = node.putArray("fileKeys");
            plan.units().forEach(u -> u.live().forEach(f -> files.add(f.key())));
            ObjectNode metrics = node.putObject("pointsPerMetric");
            perMetric.forEach(metrics::put);
            ArrayNode unreadable = node.putArray("unreadable");
            plan.unreadable().forEach(unreadable::add);
            kafka(node, plan);
            if (predicted != null) {
                rowChanges(node, predicted);
                node.put("pointsRefused", refused);
            }
            out.println(node.toPrettyString());
            return;
        }
        out.printf("Plan: %s of %s, topic %s%n", range(plan.selection()), storage.uri(), plan.topic());
        out.printf("  %d window-partition(s), %d file(s), %s; %,d points selected of %,d in those files%n",
                plan.units().size(), plan.files(), bytes(plan.bytes()), points, plan.estimatedPoints());
        plan.units().forEach(u -> u.live().forEach(f -> out.printf("    %s  %,d points  %s%n", f.key(), f.header().pointCount(),
                bytes(f.size()))));
        out.printf("  %d metric(s):%n", perMetric.size());
        perMetric.forEach((metric, count) -> out.printf("    %-50s %,12d%n", metric, count));
        plan.unreadable().forEach(problem -> out.println("  UNREADABLE: " + problem));
        kafkaText(out, plan);
        if (predicted != null) {
            rowChangesText(out, predicted, true);
            if (refused > 0) {
                out.printf("  %,d point(s) would be refused, as a TSD refuses them.%n", refused);
            }
        }
    }

    /** Where the archive stands in the points topic, and what the plan reads from it, into a JSON plan. */
    static void kafka(ObjectNode node, RestorePlan plan) {
        if (plan.kafka().isEmpty()) {
            return;
        }
        ObjectNode kafka = node.putObject("kafka");
        kafka.put("tailRead", plan.tail() != null).put("tailPoints", plan.tailPoints()).put("recordsLeftInKafka", plan.recordsLeftInKafka());
        if (plan.tail() != null) {
            kafka.put("tailRecords", plan.tail().records()).put("undecodableRecords", plan.tail().undecodable());
        }
        ArrayNode partitions = kafka.putArray("partitions");
        plan.kafka().forEach(p -> partitions.addObject().put("partition", p.partition()).put("archivedTo", p.archivedTo())
                .put("source", p.source().name().toLowerCase()).put("logStart", p.logStart()).put("end", p.end())
                .put("records", p.records()).put("deleted", p.deleted()));
    }

    /** The same for people: the offsets the tail reads, or the records a restore without it leaves in Kafka. */
    static void kafkaText(PrintWriter out, RestorePlan plan) {
        if (plan.kafka().isEmpty()) {
            return;
        }
        long records = plan.kafka().stream().mapToLong(TailPosition::records).sum();
        if (plan.tail() != null) {
            out.printf("  Kafka tail: %,d point(s) of the selection from %,d record(s) past the archive%s:%n", plan.tailPoints(),
                    plan.tail().records(), plan.tail().undecodable() > 0
                            ? String.format(" (%,d undecodable, skipped as the archiver skips them)", plan.tail().undecodable()) : "");
        } else if (records > 0) {
            out.printf("  Kafka: %,d record(s) of '%s' are past the archive and NOT restored; --kafka-tail restores them:%n", records,
                    plan.topic());
        } else {
            out.printf("  Kafka: the archive holds every record of '%s'.%n", plan.topic());
        }
        plan.kafka().stream().filter(p -> p.records() > 0 || p.deleted() > 0).forEach(p -> out.printf(
                "    partition %d: offsets %,d to %,d (%,d record(s); archived to %,d: %s)%s%n", p.partition(), p.from(), p.end() - 1,
                p.records(), p.archivedTo(), p.source().description,
                p.deleted() > 0 ? String.format("; %,d record(s) before %,d already deleted by Kafka's retention", p.deleted(),
                        p.logStart()) : ""));
    }

    static ObjectNode restoreSummary(Restore.Result result, RejectFile rejects, Checkpoint checkpoint, TargetVerifier.Report verification) {
        ObjectNode node = JSON.createObjectNode();
        node.put("pointsSent", result.pointsSent())
                .put("pointsFromEarlierRuns", result.pointsFromEarlierRuns())
                .put("pointsRestoredInAllRuns", checkpoint.totalAckedPoints())
                .put("rejected", rejects.count())
                .put("retries", result.retries())
                .put("seconds", result.elapsedMs() / 1000.0)
                .put("pointsPerSecond", rate(result.pointsSent(), result.elapsedMs()))
                .put("rejectFile", rejects.file().toAbsolutePath().toString())
                .put("checkpoint", checkpoint.file().toAbsolutePath().toString());
        ObjectNode metrics = node.putObject("pointsPerMetric");
        result.perMetric().forEach(metrics::put);
        if (verification != null) {
            ObjectNode v = node.putObject("verification");
            v.put("equal", verification.equal()).put("series", verification.series()).put("points", verification.points());
            ArrayNode mismatches = v.putArray("mismatches");
            verification.mismatches().forEach(m -> {
                ObjectNode entry = mismatches.addObject().put("metric", m.metric());
                entry.putPOJO("tags", m.tags());
                entry.put("archivePoints", m.archivePoints()).put("targetPoints", m.targetPoints()).put("changed", m.changed())
                        .put("missing", m.missing()).put("extra", m.extra());
                m.differences().forEach(entry.withArray("differences")::add);
            });
        }
        return node;
    }

    static void restoreText(PrintWriter out, Restore.Result result, RejectFile rejects, Checkpoint checkpoint,
            TargetVerifier.Report verification) {
        out.printf("Restored %,d points in %.1f s (%,d points/s)%s; %,d in all runs; %,d rejected%s; %d retries.%n",
                result.pointsSent() - result.rejected(), result.elapsedMs() / 1000.0, rate(result.pointsSent(), result.elapsedMs()),
                result.pointsFromEarlierRuns() > 0 ? String.format(", %,d written by earlier runs", result.pointsFromEarlierRuns()) : "",
                checkpoint.totalAckedPoints(), rejects.count(),
                rejects.count() > 0 ? " (see " + rejects.file() + ")" : "", result.retries());
        if (verification != null) {
            if (verification.equal()) {
                out.printf("Verified: the target holds exactly the archive's %,d points in %,d series.%n", verification.points(),
                        verification.series());
            } else {
                out.printf("VERIFICATION FAILED: %d of %,d series differ:%n", verification.mismatches().size(), verification.series());
                verification.mismatches().stream().limit(SHOWN).forEach(m -> out.println("  " + m));
                if (verification.mismatches().size() > SHOWN) {
                    out.printf("  ... and %d more (--json lists all)%n", verification.mismatches().size() - SHOWN);
                }
            }
        }
    }

    /** What a restore into rows changed (or, for a dry run, would change), per metric, into a JSON summary. */
    static void rowChanges(ObjectNode node, RowTarget target) {
        ObjectNode rows = node.putObject("rows");
        rows.put("written", target.rowsWritten()).put("merged", target.rowsMerged()).put("unreadableCells", target.unreadableCells());
        ObjectNode metrics = rows.putObject("pointsPerMetric");
        target.changes().forEach((metric, c) -> metrics.putObject(metric).put("added", c.added.sum())
                .put("overwritten", c.overwritten.sum()).put("deleted", c.deleted.sum()).put("unchanged", c.unchanged.sum()));
    }

    static void rowChangesText(PrintWriter out, RowTarget target, boolean predicted) {
        Map<String, RowWriter.Changes> changes = target.changes();
        long added = changes.values().stream().mapToLong(c -> c.added.sum()).sum();
        long overwritten = changes.values().stream().mapToLong(c -> c.overwritten.sum()).sum();
        long deleted = changes.values().stream().mapToLong(c -> c.deleted.sum()).sum();
        long unchanged = changes.values().stream().mapToLong(c -> c.unchanged.sum()).sum();
        out.printf("%s %,d row(s), %,d of them merged with cells already there: %,d point(s) added, %,d overwritten, %,d deleted,"
                + " %,d already as restored.%n", predicted ? "Rows: would write" : "Rows: wrote", target.rowsWritten(), target.rowsMerged(),
                added, overwritten, deleted, unchanged);
        if (predicted || overwritten + deleted > 0) {
            out.printf("  %-50s %12s %12s %12s%n", "metric", "added", "overwritten", "deleted");
            changes.forEach((metric, c) -> out.printf("  %-50s %,12d %,12d %,12d%n", metric, c.added.sum(), c.overwritten.sum(),
                    c.deleted.sum()));
        }
        if (target.unreadableCells() > 0) {
            out.printf("  %,d cell(s) no TSD can read were left as they are (OpenTSDB's tsdb fsck names them).%n",
                    target.unreadableCells());
        }
    }

    static long rate(long points, long ms) {
        return ms <= 0 ? points : points * 1000 / ms;
    }
}
