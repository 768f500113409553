package io.rewind.opentsdb.hbase;

import io.rewind.hbasetools.launch.CellStream;
import io.rewind.hbasetools.launch.HBaseToolsProcess;
import io.rewind.opentsdb.StorageLayout;
import java.io.BufferedOutputStream;
import java.io.BufferedReader;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongConsumer;
import org.apache.hadoop.hbase.TableName;
import org.apache.hadoop.hbase.client.Connection;
import org.apache.hadoop.hbase.client.Get;
import org.apache.hadoop.hbase.client.RegionLocator;
import org.apache.hadoop.hbase.client.Table;

/**
 * Rows written the way HBase loads data fast: as sorted HFiles that the region servers adopt whole (a bulk load), not
 * as puts. Three steps, each resumable:
 *
 * <ol>
 *   <li><b>Spool</b>: the row changes the restore makes ({@link RowWriter.RowChange}, the same as row mode's) are sorted
 *   by row key ({@link RowSpool}).
 *   <li><b>Write</b>: in key order, each row the table does not hold yet becomes one compacted cell, folded from the row's
 *   changes in the order they came (the same {@link RowMerge} as row mode, so the cell is byte for byte the one row mode
 *   writes); HBase's own HFile writer ({@code HBaseTools bulk}, in a JVM of its own, started with the restore) writes the cells as HFiles cut at
 *   the table's regions. A row the table already holds is merged and written as row mode does ({@link RowWriter}): a
 *   bulk-loaded cell would sit beside the row's cells, and a TSD reading both would see each timestamp twice. The files
 *   are listed in a manifest, and marked written once all are.
 *   <li><b>Load</b>: each file not yet loaded is bulk-loaded ({@code HBaseTools load}, HBase's {@code BulkLoadHFiles})
 *   and marked loaded in the manifest before the next one starts.
 * </ol>
 *
 * A rerun with the same work directory loads what its manifest has as written and not loaded, and never a file twice: a
 * file that is gone from where it was written was adopted by the region servers (they move it into the table), so it
 * counts as loaded. A run stopped before its manifest was marked written starts the files over; the rows it merged are
 * merged again, which gives the same rows. Every cell carries one timestamp, the restore's, so that the same file loaded
 * twice (a cluster that copies instead of moving) holds the same cells.
 */
public final class BulkLoad implements AutoCloseable {
    private static final String MANIFEST = "manifest.tsv";
    private static final int EXISTS_BATCH = 2_000;

    /**
     * Where and how to write.
     *
     * @param workDir a local directory for the spool and the manifest
     * @param hfilesDir where the HFiles are written, on a filesystem the region servers read (a Hadoop path or URI)
     * @param memoryBytes how much of the sorted rows to hold in memory before spilling
     * @param maxFileBytes the largest HFile to write
     * @param cellTimestamp the timestamp of every cell written
     */
    public record Settings(Path workDir, String hfilesDir, long memoryBytes, long maxFileBytes, long cellTimestamp) {
    }

    /** One HFile: where, its cells and bytes. */
    public record HFile(String path, long cells, long bytes) {
    }

    /** What the write step did. */
    public record Written(List<HFile> files, long rowsInFiles, long rowsMerged) {
        public long bytes() {
            return files.stream().mapToLong(HFile::bytes).sum();
        }
    }

    private final StorageLayout layout;
    private final Connection hbase;
    private final Map<String, String> hbaseSettings;
    private final RowWriter rows;
    private final Settings settings;
    private final boolean dryRun;
    private final RowSpool spool;
    private final RowMerge.Buffers buffers = new RowMerge.Buffers();
    /** HBase's tools in a session of their own, started at once so that they connect while the restore reads; null in a dry run. */
    private final HBaseToolsProcess tool;
    private final DataOutputStream toTool;
    private final BufferedReader fromTool;

    /**
     * @param hbaseSettings the HBase client settings of {@code hbase}'s connection, for HBase's tools
     * @param rows writes the rows the table already holds, and counts every change
     */
    public BulkLoad(StorageLayout layout, Connection hbase, Map<String, String> hbaseSettings, RowWriter rows, Settings settings,
            boolean dryRun) throws IOException {
        this.layout = layout;
        this.hbase = hbase;
        this.hbaseSettings = hbaseSettings;
        this.rows = rows;
        this.settings = settings;
        this.dryRun = dryRun;
        this.spool = new RowSpool(settings.workDir().resolve("spool"), settings.memoryBytes());
        this.tool = dryRun ? null : HBaseToolsProcess.start(tool("bulk", List.of("--out", settings.hfilesDir(),
                "--timestamp", Long.toString(settings.cellTimestamp()), "--max-file-bytes", Long.toString(settings.maxFileBytes()))));
        this.toTool = tool == null ? null : new DataOutputStream(new BufferedOutputStream(tool.input(), 1 << 20));
        this.fromTool = tool == null ? null : tool.output();
    }

    /** Adds rows to write; any thread. */
    public void add(Collection<RowWriter.RowChange> changes) throws IOException {
        spool.add(changes);
    }

    /** Forgets what an earlier run did: the next write starts over. */
    public void forget() throws IOException {
        Files.deleteIfExists(settings.workDir().resolve(MANIFEST));
    }

    /** Whether an earlier run wrote every file (its manifest says so): only loading is left. */
    public boolean filesWritten() throws IOException {
        return manifest().written;
    }

    /** The files of the manifest, and which are loaded. */
    public Manifest manifest() throws IOException {
        return Manifest.read(settings.workDir().resolve(MANIFEST));
    }

    /**
     * Writes the spooled rows: the rows the table holds merged in place, the others as HFiles; in a dry run, nothing,
     * and the files are those it would write, one per region (cells and bytes before compression).
     */
    public Written writeFiles(LongConsumer rowsDone) throws IOException, InterruptedException {
        Path manifestFile = settings.workDir().resolve(MANIFEST);
        Files.deleteIfExists(manifestFile);
        TableName table = TableName.valueOf(layout.dataTable());
        List<HFile> files = new ArrayList<>();
        AtomicReference<String> done = new AtomicReference<>();
        Thread reader = null;
        if (tool != null) {
            toTool.write("write\n".getBytes(StandardCharsets.UTF_8));
            reader = new Thread(() -> readFiles(fromTool, files, done), "rewind-hfiles-reader");
            reader.setDaemon(true);
            reader.start();
        }
        long[] inFiles = {0};
        long merged = 0;
        DryRunFiles predicted = dryRun ? new DryRunFiles(hbase, table) : null;
        DataOutputStream cells = toTool;
        try (Table data = hbase.getTable(table)) {
            Iterator<List<RowWriter.RowChange>> ordered = spool.rowsInOrder();
            List<List<RowWriter.RowChange>> pending = new ArrayList<>(EXISTS_BATCH);
            long handled = 0;
            while (ordered.hasNext() || !pending.isEmpty()) {
                if (ordered.hasNext()) {
                    pending.add(ordered.next());
                    if (pending.size() < EXISTS_BATCH && ordered.hasNext()) {
                        continue;
                    }
                }
                List<Get> gets = new ArrayList<>(pending.size());
                pending.forEach(row -> gets.add(new Get(row.get(0).key).addFamily(StorageLayout.dataFamily()).setCheckExistenceOnly(true)));
                boolean[] exists = data.exists(gets);
                List<RowWriter.RowChange> held = new ArrayList<>();
                for (int r = 0; r < pending.size(); r++) {
                    List<RowWriter.RowChange> row = pending.get(r);
                    if (exists[r]) {
                        merged++;
                        held.addAll(row.subList(0, 1));
                        if (row.size() > 1) { // later changes of a row go after the earlier, one write each
                            rows.write(held);
                            held.clear();
                            for (RowWriter.RowChange later : row.subList(1, row.size())) {
                                rows.write(List.of(later));
                            }
                        }
                    } else {
                        byte[][] cell = fold(row, settings.cellTimestamp(), buffers, rows::count);
                        if (cell != null) {
                            inFiles[0]++;
                            if (cells != null) {
                                CellStream.write(cells, row.get(0).key, cell[0], cell[1]);
                            } else {
                                predicted.add(row.get(0).key, cell[0], cell[1]);
                            }
                        }
                    }
                }
                rows.write(held);
                handled += pending.size();
                rowsDone.accept(handled);
                pending.clear();
            }
            if (cells != null) {
                CellStream.end(cells);
            }
        } catch (IOException e) {
            throw toolFailed(e);
        }
        if (reader != null) {
            reader.join();
            if (done.get() == null) {
                throw new IOException("HBase's HFile writer ended without listing its files: " + tool.errors());
            }
            Manifest.create(manifestFile, files);
        }
        spool.close();
        return new Written(dryRun ? predicted.files() : files, inFiles[0], merged);
    }

    /** Reads the writer's list of files, up to its last line. */
    private static void readFiles(BufferedReader out, List<HFile> files, AtomicReference<String> done) {
        try {
            for (String line = out.readLine(); line != null; line = out.readLine()) {
                String[] parts = line.split(" ");
                if (parts[0].equals("file")) {
                    synchronized (files) {
                        files.add(new HFile(parts[1], Long.parseLong(parts[2]), Long.parseLong(parts[3])));
                    }
                } else if (parts[0].equals("written")) {
                    done.set(line);
                    return;
                }
            }
        } catch (IOException e) {
            // the tool is gone: the caller says why
        }
    }

    /** An error talking to HBase's tools, with what they said before they stopped. */
    private IOException toolFailed(IOException e) {
        if (tool == null) {
            return e;
        }
        try {
            tool.input().close();
        } catch (IOException ignored) {
            // gone already
        }
        String errors;
        try {
            errors = tool.waitForErrors();
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
            errors = tool.errors();
        }
        String hint = settings.hfilesDir().startsWith("file:") && errors.contains("FileNotFound")
                ? " (the region servers must read the HFiles' directory: on a cluster whose HBase root is on HDFS, give an"
                        + " hdfs:// directory with --hfiles-dir)" : "";
        return new IOException(e.getMessage() + (errors.isEmpty() ? "" : " (HBase's tools: " + errors + ")") + hint, e);
    }

    /**
     * The cell a new row gets: its changes merged one after the other, as row mode would have written them into a row
     * that held nothing; null when nothing is left (a later change's replaced span took every point). Counts the points.
     */
    static byte[][] fold(List<RowWriter.RowChange> changes, long cellTimestamp, RowMerge.Buffers buffers,
            java.util.function.BiConsumer<String, RowMerge.Change> counts) {
        byte[] qualifier = null;
        byte[] value = null;
        for (RowWriter.RowChange change : changes) {
            RowMerge.RowPoints points = change.unsorted ? RowWriter.sortedKeepingTheLast(change.points) : change.points;
            List<io.rewind.opentsdb.RowDecoder.Cell> cells = qualifier == null ? List.of()
                    : List.of(new io.rewind.opentsdb.RowDecoder.Cell(qualifier, value, cellTimestamp));
            RowMerge.Change merged = RowMerge.merge(change.baseSeconds, cells, points, change.replaceFromMs, change.replaceToMs, buffers);
            counts.accept(change.label, merged);
            if (merged.qualifier() != null) {
                qualifier = merged.qualifier();
                value = merged.value();
            } else if (!merged.deletes().isEmpty()) {
                qualifier = null;
                value = null;
            }
        }
        return qualifier == null ? null : new byte[][] {qualifier, value};
    }

    /**
     * Loads every file of the manifest not loaded yet, one at a time, each marked loaded before the next starts.
     *
     * @param loaded called with each file once it is loaded (or found adopted by an earlier run)
     * @return the files loaded by this run
     */
    public List<HFile> load(java.util.function.Consumer<HFile> loaded) throws IOException, InterruptedException {
        Path manifestFile = settings.workDir().resolve(MANIFEST);
        Manifest manifest = Manifest.read(manifestFile);
        if (!manifest.written) {
            throw new IOException("the HFiles of this restore are not all written (" + manifestFile + "): run the restore again");
        }
        Map<String, HFile> left = new LinkedHashMap<>();
        List<HFile> thisRun = new ArrayList<>();
        for (HFile file : manifest.files) {
            if (!manifest.loaded.contains(file.path())) {
                left.put(file.path(), file);
            }
        }
        if (left.isEmpty()) {
            return thisRun;
        }
        try (Writer log = new OutputStreamWriter(Files.newOutputStream(manifestFile, StandardOpenOption.APPEND), StandardCharsets.UTF_8)) {
            for (HFile file : left.values()) {
                String answer;
                try {
                    toTool.write(("load " + file.path() + "\n").getBytes(StandardCharsets.UTF_8));
                    toTool.flush();
                    answer = fromTool.readLine();
                } catch (IOException e) {
                    throw toolFailed(e);
                }
                if (answer == null) {
                    throw toolFailed(new IOException("HBase's tools stopped while loading " + file.path()));
                }
                String mark = answer.startsWith("loaded ") ? "loaded" : answer.startsWith("adopted ") ? "adopted" : null;
                if (mark == null) {
                    throw new IOException("HBase's tools answered '" + answer + "' to loading " + file.path());
                }
                log.write(mark + "\t" + file.path() + "\n");
                log.flush();
                if (mark.equals("loaded")) {
                    thisRun.add(file);
                }
                loaded.accept(file);
            }
        }
        return thisRun;
    }

    /** Ends HBase's tools: their stdin closes, and they stop. */
    @Override
    public void close() throws IOException {
        if (tool != null) {
            try {
                toTool.close();
            } catch (IOException e) {
                // gone already
            }
            tool.close();
        }
        spool.close();
    }

    /** The arguments of an HBaseTools command on this table: the table, its family, and the client settings. */
    private List<String> tool(String command, List<String> arguments) {
        List<String> args = new ArrayList<>(List.of(command, "--table", layout.dataTable(), "--family",
                new String(StorageLayout.dataFamily(), StandardCharsets.UTF_8)));
        for (Map.Entry<String, String> setting : hbaseSettings.entrySet()) {
            args.add("--set");
            args.add(setting.getKey() + "=" + setting.getValue());
        }
        args.addAll(arguments);
        return args;
    }

    /** The manifest of a work directory: the files written, whether all are, and those loaded. */
    public static final class Manifest {
        public final List<HFile> files = new ArrayList<>();
        public final java.util.Set<String> loaded = new java.util.LinkedHashSet<>();
        public boolean written;

        static Manifest read(Path file) throws IOException {
            Manifest manifest = new Manifest();
            if (!Files.exists(file)) {
                return manifest;
            }
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                String[] parts = line.split("\t");
                switch (parts[0]) {
                    case "file" -> manifest.files.add(new HFile(parts[1], Long.parseLong(parts[2]), Long.parseLong(parts[3])));
                    case "written" -> manifest.written = true;
                    case "loaded", "adopted" -> manifest.loaded.add(parts[1]);
                    default -> {
                        // a line cut off by a crash: the file it would have marked is loaded again, or found adopted
                    }
                }
            }
            return manifest;
        }

        static void create(Path file, List<HFile> files) throws IOException {
            StringBuilder text = new StringBuilder();
            files.forEach(f -> text.append("file\t").append(f.path()).append('\t').append(f.cells()).append('\t').append(f.bytes()).append('\n'));
            text.append("written\n");
            Path temporary = file.resolveSibling(file.getFileName() + ".tmp");
            Files.writeString(temporary, text, StandardCharsets.UTF_8);
            Files.move(temporary, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** The files a dry run would write: one per region, with its cells and their bytes (uncompressed). */
    private static final class DryRunFiles {
        private final byte[][] starts;
        private final TreeMap<Integer, long[]> perRegion = new TreeMap<>();

        DryRunFiles(Connection hbase, TableName table) throws IOException {
            try (RegionLocator regions = hbase.getRegionLocator(table)) {
                byte[][] keys = regions.getStartKeys();
                Arrays.sort(keys, Arrays::compareUnsigned);
                this.starts = keys;
            }
        }

        void add(byte[] key, byte[] qualifier, byte[] value) {
            int region = 0;
            for (int i = starts.length - 1; i > 0; i--) {
                if (Arrays.compareUnsigned(starts[i], key) <= 0) {
                    region = i;
                    break;
                }
            }
            long[] counts = perRegion.computeIfAbsent(region, r -> new long[2]);
            counts[0]++;
            // A KeyValue: lengths (8), row length (2), row, family length (1), family, qualifier, timestamp (8), type (1), value.
            counts[1] += 20L + key.length + 1 + qualifier.length + value.length;
        }

        List<HFile> files() {
            List<HFile> files = new ArrayList<>();
            perRegion.forEach((region, counts) -> files.add(new HFile("region " + region + " (from "
                    + io.rewind.opentsdb.RowDecoder.hex(starts[region]) + ")", counts[0], counts[1])));
            return files;
        }
    }
}
