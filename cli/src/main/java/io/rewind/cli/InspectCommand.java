package io.rewind.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.rewind.archive.location.Storages;
import io.rewind.archive.segment.SegmentFiles;
import io.rewind.archive.segment.SegmentMetadata;
import io.rewind.archive.segment.SegmentReader;
import io.rewind.archive.segment.SeriesPoints;
import io.rewind.archive.storage.Storage;
import io.rewind.service.TimeArgs;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = "Shows one part or segment file: its header metadata, its series with their point counts, and its first points.")
final class InspectCommand implements Callable<Integer> {
    @Parameters(paramLabel = "FILE", description = "A key in the archive (with --archive), or a local file.")
    String file;

    @Option(names = {"-a", "--archive"}, paramLabel = "URI", description = "The archive's storage, when FILE is a key in it.")
    String archive;

    @Option(names = "--keyset", paramLabel = "FILE",
            description = {"The keyset of an encrypted archive (rewind keys create); default: the file the REWIND_KEYSET",
                    "environment variable names, if any."})
    Path keyset;

    @Option(names = "--series", defaultValue = "20", paramLabel = "N", description = "Series to list (default: ${DEFAULT-VALUE}).")
    int seriesShown;

    @Option(names = "--points", defaultValue = "10", paramLabel = "N", description = "First points to show (default: ${DEFAULT-VALUE}).")
    int pointsShown;

    @Option(names = "--json", description = "Print as JSON.")
    boolean json;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        String key = file;
        String location = archive;
        if (location == null) {
            Path path = Path.of(file).toAbsolutePath();
            location = path.getParent().toString();
            key = path.getFileName().toString();
        }
        ObjectNode root = Report.JSON.createObjectNode();
        ArrayNode series = Report.JSON.createArrayNode();
        ArrayNode points = Report.JSON.createArrayNode();
        SegmentMetadata header;
        long seriesCount = 0;
        try (Storage storage = Storages.open(location, Optional.ofNullable(keyset)); SegmentReader reader = SegmentFiles.open(storage, key, id -> true,
                new io.rewind.archive.storage.ReadPolicy(true, true))) { // a diagnosis: a file without sidecar is shown too
            header = reader.metadata();
            while (reader.hasNext()) {
                SeriesPoints s = reader.next();
                if (seriesCount++ < seriesShown) {
                    series.addObject().put("series", s.id().toString()).put("points", s.size())
                            .put("first", TimeArgs.format(s.timestampMs(0))).put("last", TimeArgs.format(s.timestampMs(s.size() - 1)));
                }
                for (int i = 0; i < s.size() && points.size() < pointsShown; i++) {
                    ObjectNode p = points.addObject().put("series", s.id().toString()).put("timestamp", TimeArgs.format(s.timestampMs(i)))
                            .put("precision", s.precision(i).name().toLowerCase());
                    Object value = s.value(i);
                    if (value instanceof Long l) {
                        p.put("value", l);
                    } else if (value instanceof Double d) {
                        p.put("value", d);
                    } else {
                        p.put("value", String.valueOf(s.histogram(i)));
                    }
                    p.put("ingested", TimeArgs.format(s.ingestTimeMs(i)));
                }
            }
        }
        root.put("file", key);
        ObjectNode h = root.putObject("header");
        h.put("kind", header.kind().name().toLowerCase()).put("formatVersion", header.formatVersion()).put("topic", header.topic())
                .put("partition", header.partition()).put("windowStart", TimeArgs.format(header.windowStartMs()))
                .put("windowEnd", TimeArgs.format(header.windowEndMs())).put("firstOffset", header.firstOffset())
                .put("lastOffset", header.lastOffset()).put("generation", header.generation())
                .put("points", header.pointCount()).put("series", header.seriesCount());
        if (header.pointCount() > 0) {
            h.put("eventTimeMin", TimeArgs.format(header.eventTimeMinMs())).put("eventTimeMax", TimeArgs.format(header.eventTimeMaxMs()))
                    .put("ingestTimeMin", TimeArgs.format(header.ingestTimeMinMs())).put("ingestTimeMax", TimeArgs.format(header.ingestTimeMaxMs()));
        }
        header.source().forEach((k, v) -> h.put("source." + k, v));
        ArrayNode supersedes = h.putArray("supersedes");
        header.supersedes().forEach(supersedes::add);
        root.set("series", series);
        root.set("firstPoints", points);
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(root.toPrettyString());
            return RewindCli.OK;
        }
        out.println(key + " (checksum and every block verified)");
        h.fields().forEachRemaining(e -> {
            if (!e.getKey().equals("supersedes")) {
                out.printf("  %-14s %s%n", e.getKey(), e.getValue().asText());
            }
        });
        header.supersedes().forEach(s -> out.printf("  %-14s %s%n", "supersedes", s));
        out.printf("Series (%d of %d):%n", series.size(), seriesCount);
        series.forEach(s -> out.printf("  %-60s %,8d  %s .. %s%n", s.get("series").asText(), s.get("points").asLong(),
                s.get("first").asText(), s.get("last").asText()));
        out.printf("First points (%d):%n", points.size());
        points.forEach(p -> out.printf("  %-50s %s %-12s %s (ingested %s)%n", p.get("series").asText(), p.get("timestamp").asText(),
                p.get("precision").asText(), p.get("value").asText(), p.get("ingested").asText()));
        return RewindCli.OK;
    }
}
