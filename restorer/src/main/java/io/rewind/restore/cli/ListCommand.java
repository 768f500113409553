package io.rewind.restore.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.rewind.archive.storage.Storage;
import io.rewind.restore.ArchiveIndex;
import io.rewind.restore.TimeArgs;
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
            index = ArchiveIndex.scanAll(storage, Optional.of(archive.topic), unreadable);
            List<ArchiveIndex.Unit> units = index.units();
            List<OffsetGap> offsetGaps = offsetGaps(units);
            List<Long> emptyWindows = emptyWindows(units);
            if (json) {
                printJson(out, storage, units, offsetGaps, emptyWindows, unreadable);
            } else {
                printText(out, storage, units, offsetGaps, emptyWindows, unreadable);
            }
        }
        return unreadable.isEmpty() ? RewindCli.OK : RewindCli.PROBLEMS;
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
        long partitions = units.stream().map(ArchiveIndex.Unit::partition).distinct().count();
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
            out.printf("  %-21s %5d %4d %5s %,11d %10s  %-41s %d-%d%n", TimeArgs.format(u.windowStartMs()), u.partition(),
                    count(u, true), count(u, false) + (superseded > 0 ? "+" + superseded : ""), u.livePoints(), Report.bytes(unitBytes),
                    u.livePoints() == 0 ? "-" : TimeArgs.format(u.eventTimeMinMs()) + " " + TimeArgs.format(u.eventTimeMaxMs()),
                    u.files().stream().mapToLong(f -> f.header().firstOffset()).min().orElse(0),
                    u.files().stream().mapToLong(f -> f.header().lastOffset()).max().orElse(0));
        }
        if (units.stream().anyMatch(u -> u.files().size() > u.live().size())) {
            out.println("  (parts +N: N more parts superseded by the segment, waiting for deletion)");
        }
        if (gaps.isEmpty() && emptyWindows.isEmpty()) {
            out.println("Gaps: none");
        } else {
            out.println("Gaps:");
            gaps.forEach(g -> out.printf("  partition %d: offsets %d-%d are in no file%n", g.partition(), g.firstMissing(), g.lastMissing()));
            emptyWindows.forEach(w -> out.printf("  window %s: no data, while windows before and after have some%n", TimeArgs.format(w)));
        }
        unreadable.forEach(problem -> out.println("UNREADABLE: " + problem));
    }

    private static void printJson(PrintWriter out, Storage storage, List<ArchiveIndex.Unit> units, List<OffsetGap> gaps,
            List<Long> emptyWindows, List<String> unreadable) {
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
                files.addObject().put("key", f.key()).put("kind", f.segment() ? "segment" : "part").put("live", isLive.apply(f))
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
        ArrayNode bad = root.putArray("unreadable");
        unreadable.forEach(bad::add);
        out.println(root.toPrettyString());
    }
}
