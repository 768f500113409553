package io.rewind.cli;

import io.rewind.archive.storage.Storage;
import io.rewind.restore.RestorePlan;
import io.rewind.restore.plan.OutputSeries;
import io.rewind.restore.plan.Transforms;
import io.rewind.restore.source.SelectionReader;
import io.rewind.schema.PointKind;
import java.io.BufferedWriter;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.zip.GZIPOutputStream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "export", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Writes the same selection as restore in OpenTSDB's import text format (metric timestamp value",
                "tagk=tagv ...), so that OpenTSDB's own 'tsdb import' can load it. Rollup and histogram points have no",
                "import form: they are counted and left out."})
final class ExportCommand implements Callable<Integer> {
    @Mixin
    ArchiveOptions archive;
    @Mixin
    SelectionOptions select;
    @Mixin
    TransformOptions transform;

    @Option(names = {"-o", "--output"}, defaultValue = "-", paramLabel = "FILE",
            description = "Where to write; '-' for standard output (default). A name ending in .gz is gzip'ed.")
    String output;

    @Option(names = "--gzip", description = "Gzip the output whatever its name.")
    boolean gzip;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        Transforms transforms = transform.transforms();
        long[] written = new long[1];
        long[] skipped = new long[1];
        try (Storage storage = archive.open()) {
            RestorePlan plan = RestorePlan.of(storage, archive.topic, select.selection(System.currentTimeMillis()));
            if (!plan.unreadable().isEmpty()) {
                throw new IllegalStateException("cannot read " + String.join("; ", plan.unreadable()));
            }
            boolean toStdout = output.equals("-");
            OutputStream raw = toStdout ? System.out : Files.newOutputStream(Path.of(output));
            if (gzip || output.endsWith(".gz")) {
                raw = new GZIPOutputStream(raw, 1 << 16);
            }
            SelectionReader reader = new SelectionReader(storage, plan.selection());
            StringBuilder line = new StringBuilder(256);
            try (BufferedWriter out = new BufferedWriter(new OutputStreamWriter(raw, StandardCharsets.UTF_8), 1 << 16)) {
                for (var unit : plan.units()) {
                    reader.read(unit, series -> {
                        if (series.id().kind() != PointKind.PUT) {
                            skipped[0] += series.size();
                            return;
                        }
                        OutputSeries o = OutputSeries.of(series, transforms);
                        for (int i = 0; i < o.size(); i++) {
                            line.setLength(0);
                            o.appendImportLine(line, i);
                            out.append(line);
                        }
                        written[0] += o.size();
                    });
                }
            }
        }
        PrintWriter err = spec.commandLine().getErr();
        err.printf("Exported %,d points%s to %s.%n", written[0],
                skipped[0] > 0 ? String.format(" (%,d rollup/histogram points have no import form and were left out)", skipped[0]) : "",
                output.equals("-") ? "standard output" : output);
        err.flush();
        return RewindCli.OK;
    }
}
