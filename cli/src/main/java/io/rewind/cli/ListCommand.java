package io.rewind.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.rewind.archive.ArchiveLayout;
import io.rewind.archive.gaps.GapLedger;
import io.rewind.schema.Gap;
import io.rewind.archive.storage.Storage;
import io.rewind.restore.source.ArchiveIndex;
import io.rewind.restore.source.KafkaTail;
import io.rewind.restore.source.TailPosition;
import io.rewind.service.TimeArgs;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.function.Function;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "list", mixinStandardHelpOptions = true,
        description = {"Shows what the archive covers: per window and partition its parts and segments, points, bytes and",
                "event times; and its gaps: input offsets of a partition that no file covers, and windows without",
                "data between windows with data."})
final class ListCommand implements Callable<Integer> {
    @Mixin
    ArchiveOptions archive;

    @Option(names = "--json", description = "Print as JSON.")
    boolean json;

    @Mixin
    KafkaOptions kafka;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** Input offsets of one partition that no file covers. */
    record OffsetGap(int partition, long firstMissing, long lastMissing) {
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        List<String> unreadable = new ArrayList<>();
        ArchiveIndex index;
        try (Storage storage = archive.open()) {
            KafkaTail.Settings kafkaSettings = kafka.settings(archive.topic);
            KafkaTail.Snapshot snapshot = kafkaSettings == null ? null : KafkaTail.snapshot(kafkaSettings); // before the scan
            index = ArchiveIndex.scanAll(storage, Optional.of(archive.topic), unreadable);
            List<ArchiveIndex.Unit> units = index.units();
            List<ArchiveIndex.Unit> incremental = units.stream().filter(u -> !u.baseline()).toList();
            List<OffsetGap> offsetGaps = offsetGaps(incremental);
            List<Long> emptyWindows = emptyWindows(incremental);
            List<Baseline> baselines = baselines(storage, archive.topic, units);
            GapLedger gaps = GapLedger.read(storage, archive.topic);
            gaps.unreadable().forEach(u -> unreadable.add("gap record " + u));
            List<TailPosition> positions = snapshot == null ? List.of() : snapshot.positions(KafkaTail.pastFiles(incremental));
            Map<Integer, Long> behindSince = snapshot == null ? Map.of() : KafkaTail.firstUnarchivedTimes(kafkaSettings, positions);
            long now = System.currentTimeMillis();
            if (json) {
                ObjectNode root = toJson(storage, units, offsetGaps, emptyWindows, unreadable, baselines, incremental);
                gapsToJson(root.putArray("gaps"), gaps);
                if (snapshot != null) {
                    ObjectNode node = root.putObject("kafka").put("bootstrapServers", kafka.bootstrapServers).put("archiverId", kafka.archiverId);
                    ArrayNode partitions = node.putArray("partitions");
                    positions.forEach(p -> {
                        ObjectNode n = partitions.addObject().put("partition", p.partition()).put("archivedTo", p.archivedTo())
                                .put("source", p.source().name().toLowerCase()).put("logStart", p.logStart()).put("end", p.end())
                                .put("behindRecords", p.records()).put("deletedRecords", p.deleted());
                        Long since = behindSince.get(p.partition());
                        n.put("behindSeconds", since == null ? 0 : Math.max(0, now - since) / 1000.0);
                    });
                }
                out.println(root.toPrettyString());
            } else {
                printText(out, storage, units, offsetGaps, emptyWindows, unreadable);
                printBaselines(out, baselines, incremental);
                printGaps(out, gaps);
                if (snapshot != null) {
                    printKafka(out, positions, behindSince, now);
                }
            }
        }
        return unreadable.isEmpty() ? RewindCli.OK : RewindCli.PROBLEMS;
    }

    /** The hours the taps let points through without backup: open (to heal) and healed. */
    private static void printGaps(PrintWriter out, GapLedger gaps) {
        if (gaps.hours().isEmpty()) {
            out.println("Tap gaps: none (no tap has let a point through without backing it up)");
            return;
        }
        List<GapLedger.Hour> open = gaps.open();
        out.printf("Tap gaps (points the taps let through to OpenTSDB without backing them up): %d hour(s) open, %d healed%n", open.size(),
                gaps.hours().size() - open.size());
        for (GapLedger.Hour hour : gaps.hours()) {
            if (!hour.open().isEmpty()) {
                out.println("  OPEN    " + HealCommand.describe(hour));
            }
            if (!hour.healed().isEmpty()) {
                out.printf("  healed  %s  %d gap(s), %,d points, by %s%n", HealCommand.hourText(hour.hourStartMs()), hour.healed().size(),
                        hour.healed().stream().mapToLong(Gap::points).sum(), String.join(", ", hour.healedBy()));
            }
        }
        if (!open.isEmpty()) {
            out.println("  Run 'rewind heal --archive ... --storage-config opentsdb.conf' to take the open gaps' points from HBase into the archive.");
        }
    }

    private static void gapsToJson(ArrayNode array, GapLedger gaps) {
        gaps.hours().forEach(hour -> HealCommand.toJson(array.addObject(), hour));
    }

    /** A baseline in the archive: its files' coverage, and what its shards' state objects say. */
    record Baseline(String name, long fromMs, long toMs, long points, long files, long bytes, List<JsonNode> shards) {
        boolean complete() {
            return !shards.isEmpty() && shards.stream().allMatch(s -> s.path("completedMs").asLong() > 0)
                    && shards.size() == shards.get(0).path("shards").asInt();
        }

        String state() {
            if (shards.isEmpty()) {
                return "no state object (files only)";
            }
            int of = shards.get(0).path("shards").asInt();
            long completed = shards.stream().filter(s -> s.path("completedMs").asLong() > 0).count();
            return complete() ? "complete" : "in progress or stopped: " + completed + " of " + of + " shard(s) complete, "
                    + shards.stream().mapToInt(s -> s.path("done").size()).sum() + " key range(s) done";
        }

        String source() {
            return shards.isEmpty() ? "-" : shards.get(0).path("table").asText() + " at " + shards.get(0).path("cluster").asText()
                    + ", " + (shards.get(0).path("snapshot").isNull() ? "live table" : "snapshot " + shards.get(0).path("snapshot").asText());
        }
    }

    static List<Baseline> baselines(Storage storage, String topic, List<ArchiveIndex.Unit> units) throws java.io.IOException {
        Map<String, List<JsonNode>> states = new TreeMap<>();
        try (java.util.stream.Stream<Storage.ObjectInfo> listed = storage.list(ArchiveLayout.baselineStates(topic))) {
            for (Storage.ObjectInfo info : listed.filter(o -> ArchiveLayout.isBaselineState(o.key())).toList()) {
                try (java.io.InputStream in = storage.get(info.key())) {
                    JsonNode state = Report.JSON.readTree(in);
                    states.computeIfAbsent(state.path("name").asText(), n -> new ArrayList<>()).add(state);
                }
            }
        }
        Map<String, List<ArchiveIndex.StoredFile>> files = new TreeMap<>();
        units.stream().filter(ArchiveIndex.Unit::baseline).flatMap(u -> u.files().stream())
                .forEach(f -> files.computeIfAbsent(f.name().baseline(), n -> new ArrayList<>()).add(f));
        java.util.Set<String> names = new java.util.TreeSet<>(states.keySet());
        names.addAll(files.keySet());
        List<Baseline> out = new ArrayList<>();
        for (String name : names) {
            List<ArchiveIndex.StoredFile> its = files.getOrDefault(name, List.of());
            out.add(new Baseline(name, its.stream().mapToLong(f -> f.header().windowStartMs()).min().orElse(0),
                    its.stream().mapToLong(f -> f.header().windowEndMs()).max().orElse(0),
                    its.stream().mapToLong(f -> f.header().pointCount()).sum(), its.size(), its.stream().mapToLong(ArchiveIndex.StoredFile::size).sum(),
                    states.getOrDefault(name, List.of())));
        }
        return out;
    }

    private static void printBaselines(PrintWriter out, List<Baseline> baselines, List<ArchiveIndex.Unit> incremental) {
        if (baselines.isEmpty()) {
            return;
        }
        long incFrom = incremental.stream().mapToLong(ArchiveIndex.Unit::windowStartMs).min().orElse(Long.MAX_VALUE);
        long incTo = incremental.stream().mapToLong(ArchiveIndex.Unit::windowEndMs).max().orElse(Long.MIN_VALUE);
        out.println("Baselines (read from the cluster's tables; windows marked 'base' above):");
        for (Baseline b : baselines) {
            out.printf("  Baseline '%s': %s; from %s%n", b.name(), b.state(), b.source());
            if (b.files() > 0) {
                out.printf("    covers %s .. %s: %,d points in %,d files, %s%n", TimeArgs.format(b.fromMs()), TimeArgs.format(b.toMs()),
                        b.points(), b.files(), Report.bytes(b.bytes()));
            }
            if (incremental.isEmpty()) {
                out.println("    incremental archive: none yet");
            } else if (b.files() > 0 && b.fromMs() < incTo && incFrom < b.toMs()) {
                out.printf("    overlap with the incremental archive (%s .. %s): %s .. %s, each point restored once%n", TimeArgs.format(incFrom),
                        TimeArgs.format(incTo), TimeArgs.format(Math.max(b.fromMs(), incFrom)), TimeArgs.format(Math.min(b.toMs(), incTo)));
            } else if (b.files() > 0) {
                out.printf("    no overlap with the incremental archive (%s .. %s): %s%n", TimeArgs.format(incFrom), TimeArgs.format(incTo),
                        b.toMs() <= incFrom ? "points written between the baseline's snapshot and the tap's start may be in neither"
                                : "the baseline is newer than the incremental archive");
            }
        }
    }

    static List<OffsetGap> offsetGaps(List<ArchiveIndex.Unit> units) {
        Map<Integer, List<long[]>> ranges = new TreeMap<>();
        units.forEach(u -> u.files().forEach(f -> ranges.computeIfAbsent(u.partition(), p -> new ArrayList<>())
                .add(new long[] {f.header().firstOffset(), f.header().lastOffset()})));
        List<OffsetGap> gaps = new ArrayList<>();
        ranges.forEach((partition, list) -> {
            list.sort(Comparator.comparingLong(r -> r[0]));
            long covered = list.get(0)[1];
            for (long[] r : list) {
                if (r[0] > covered + 1) {
                    gaps.add(new OffsetGap(partition, covered + 1, r[0] - 1));
                }
                covered = Math.max(covered, r[1]);
            }
        });
        return gaps;
    }

    /** Window starts with no file, between the first and the last window that have one. */
    static List<Long> emptyWindows(List<ArchiveIndex.Unit> units) {
        if (units.isEmpty()) {
            return List.of();
        }
        long size = units.stream().collect(Collectors.groupingBy(u -> u.windowEndMs() - u.windowStartMs(), Collectors.counting()))
                .entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow().getKey();
        TreeSet<Long> starts = units.stream().map(ArchiveIndex.Unit::windowStartMs).collect(Collectors.toCollection(TreeSet::new));
        List<Long> empty = new ArrayList<>();
        for (long w = starts.first(); w < starts.last() && size > 0; w += size) {
            if (!starts.contains(w)) {
                empty.add(w);
            }
        }
        return empty;
    }

    private static long count(ArchiveIndex.Unit u, boolean segments) {
        return u.live().stream().filter(f -> f.segment() == segments).count();
    }

    private static void printText(PrintWriter out, Storage storage, List<ArchiveIndex.Unit> units, List<OffsetGap> gaps,
            List<Long> emptyWindows, List<String> unreadable) {
        long points = units.stream().mapToLong(ArchiveIndex.Unit::livePoints).sum();
        long bytes = units.stream().flatMap(u -> u.files().stream()).mapToLong(ArchiveIndex.StoredFile::size).sum();
        long windows = units.stream().map(ArchiveIndex.Unit::windowStartMs).distinct().count();
        long partitions = units.stream().filter(u -> !u.baseline()).map(ArchiveIndex.Unit::partition).distinct().count();
        out.printf("%s, topic %s: %d window(s), %d partition(s), %,d points, %s%n", storage.uri(), units.isEmpty() ? "-"
                : units.get(0).topic(), windows, partitions, points, Report.bytes(bytes));
        if (units.isEmpty()) {
            out.println("  (no Rewind files)");
        } else {
            out.printf("  %-21s %5s %4s %5s %11s %10s  %-41s %s%n", "window", "part.", "seg.", "parts", "points", "bytes",
                    "event time", "offsets");
        }
        for (ArchiveIndex.Unit u : units) {
            long unitBytes = u.live().stream().mapToLong(ArchiveIndex.StoredFile::size).sum();
            long superseded = u.files().size() - u.live().size();
            out.printf("  %-21s %5s %4d %5s %,11d %10s  %-41s %s%n", TimeArgs.format(u.windowStartMs()),
                    u.baseline() ? "base" : Integer.toString(u.partition()),
                    count(u, true), count(u, false) + (superseded > 0 ? "+" + superseded : ""), u.livePoints(), Report.bytes(unitBytes),
                    u.livePoints() == 0 ? "-" : TimeArgs.format(u.eventTimeMinMs()) + " " + TimeArgs.format(u.eventTimeMaxMs()),
                    u.baseline() ? "baseline " + u.files().get(0).name().baseline()
                            : u.files().stream().mapToLong(f -> f.header().firstOffset()).min().orElse(0) + "-"
                                    + u.files().stream().mapToLong(f -> f.header().lastOffset()).max().orElse(0));
        }
        if (units.stream().anyMatch(u -> u.files().size() > u.live().size())) {
            out.println("  (parts +N: N more parts superseded by the segment, waiting for deletion)");
        }
        if (gaps.isEmpty() && emptyWindows.isEmpty()) {
            out.println("Offset gaps: none");
        } else {
            out.println("Offset gaps (what the archiver read and no file holds):");
            gaps.forEach(g -> out.printf("  partition %d: offsets %d-%d are in no file%n", g.partition(), g.firstMissing(), g.lastMissing()));
            emptyWindows.forEach(w -> out.printf("  window %s: no data, while windows before and after have some%n", TimeArgs.format(w)));
        }
        unreadable.forEach(problem -> out.println("UNREADABLE: " + problem));
    }

    private void printKafka(PrintWriter out, List<TailPosition> positions, Map<Integer, Long> behindSince, long now) {
        long records = positions.stream().mapToLong(TailPosition::records).sum();
        out.printf("Kafka at %s, topic %s, archiver %s: %s%n", kafka.bootstrapServers, archive.topic, kafka.archiverId,
                records == 0 ? "the archive holds every record" : String.format("%,d record(s) past the archive"
                        + " (restore --kafka-tail restores them)", records));
        out.printf("  %9s %14s %14s %14s %10s  %s%n", "partition", "archived to", "end", "behind", "since", "archived to known from");
        for (TailPosition p : positions) {
            Long since = behindSince.get(p.partition());
            out.printf("  %9d %,14d %,14d %,14d %10s  %s%s%n", p.partition(), p.archivedTo(), p.end(), p.records(),
                    since == null ? "-" : String.format("%.1f s", Math.max(0, now - since) / 1000.0), p.source().description,
                    p.deleted() > 0 ? String.format("; %,d record(s) already deleted by retention, lost to a restore", p.deleted()) : "");
        }
    }

    private static ObjectNode toJson(Storage storage, List<ArchiveIndex.Unit> units, List<OffsetGap> gaps,
            List<Long> emptyWindows, List<String> unreadable, List<Baseline> baselines, List<ArchiveIndex.Unit> incremental) {
        ObjectNode root = Report.JSON.createObjectNode().put("archive", storage.uri().toString());
        ArrayNode list = root.putArray("units");
        for (ArchiveIndex.Unit u : units) {
            ObjectNode n = list.addObject().put("topic", u.topic()).put("windowStart", TimeArgs.format(u.windowStartMs()))
                    .put("windowEnd", TimeArgs.format(u.windowEndMs())).put("partition", u.partition())
                    .put("points", u.livePoints());
            if (u.livePoints() > 0) {
                n.put("eventTimeMin", TimeArgs.format(u.eventTimeMinMs())).put("eventTimeMax", TimeArgs.format(u.eventTimeMaxMs()));
            }
            ArrayNode files = n.putArray("files");
            Function<ArchiveIndex.StoredFile, Boolean> isLive = f -> u.live().contains(f);
            for (ArchiveIndex.StoredFile f : u.files()) {
                files.addObject().put("key", f.key()).put("kind", f.header().kind().name().toLowerCase()).put("live", isLive.apply(f))
                        .put("points", f.header().pointCount()).put("series", f.header().seriesCount()).put("bytes", f.size())
                        .put("firstOffset", f.header().firstOffset()).put("lastOffset", f.header().lastOffset())
                        .put("generation", f.header().generation()).put("sidecar", f.hasSidecar());
            }
        }
        ArrayNode offsetGaps = root.putArray("offsetGaps");
        gaps.forEach(g -> offsetGaps.addObject().put("partition", g.partition()).put("firstMissing", g.firstMissing())
                .put("lastMissing", g.lastMissing()));
        ArrayNode windowGaps = root.putArray("emptyWindows");
        emptyWindows.forEach(w -> windowGaps.add(TimeArgs.format(w)));
        ArrayNode baselineList = root.putArray("baselines");
        for (Baseline b : baselines) {
            ObjectNode n = baselineList.addObject().put("name", b.name()).put("complete", b.complete()).put("state", b.state())
                    .put("source", b.source()).put("points", b.points()).put("files", b.files()).put("bytes", b.bytes());
            if (b.files() > 0) {
                n.put("from", TimeArgs.format(b.fromMs())).put("to", TimeArgs.format(b.toMs()));
            }
        }
        if (!incremental.isEmpty()) {
            root.putObject("incremental")
                    .put("from", TimeArgs.format(incremental.stream().mapToLong(ArchiveIndex.Unit::windowStartMs).min().orElseThrow()))
                    .put("to", TimeArgs.format(incremental.stream().mapToLong(ArchiveIndex.Unit::windowEndMs).max().orElseThrow()));
        }
        ArrayNode bad = root.putArray("unreadable");
        unreadable.forEach(bad::add);
        return root;
    }
}
