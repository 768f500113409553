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
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.apache.hadoop.hbase.TableName;
import org.apache.hadoop.hbase.client.Connection;
import org.apache.hadoop.hbase.client.Get;
import org.apache.hadoop.hbase.client.RegionLocator;
import org.apache.hadoop.hbase.client.Table;

/**
 * Rows written the way HBase loads data fast: as sorted HFiles that the region servers adopt whole (a bulk load), not
 * as puts. Three steps:
 *
 * <ol>
 *   <li><b>Spool</b>: the row changes the restore makes ({@link RowWriter.RowChange}, the same as row mode's) are sorted
 *   by row key ({@link RowSpool}).
 *   <li><b>Write</b>: in key order, each row the table does not hold yet becomes one compacted cell, folded from the row's
 *   changes in the order they came (the same {@link RowMerge} as row mode, so the cell is byte for byte the one row mode
 *   writes); HBase's own HFile writer ({@code HBaseTools bulk}, in a JVM of its own, started with the restore) writes the
 *   cells as HFiles cut at the table's regions, every cell with the time the writing started. A row the table already
 *   holds is merged and written as row mode does ({@link RowWriter}): a bulk-loaded cell would sit beside the row's
 *   cells, and a TSD reading both would see each timestamp twice. The files are listed in a manifest, with the plan they
 *   hold (the archive's files and the Kafka tail's offsets, {@code planDigest}), and marked written once all are.
 *   <li><b>Load</b>: each file not yet loaded is bulk-loaded (HBase's {@code BulkLoadHFiles}) and marked loaded in the
 *   manifest before the next one starts.
 * </ol>
 *
 * A rerun of the same plan loads what the manifest has as written and not loaded, but a file whose every row the table
 * already holds at the files' timestamp, which a killed run loaded before it could mark it, is marked and not loaded
 * again; a file gone from where it was written and not in the table stops the rerun, which says so. A run stopped before its manifest was marked
 * written, or a rerun whose plan differs (a gap healed, a compaction, the Kafka tail moved on), starts the files over;
 * the rows it merged are merged again, which gives the same rows. One work directory serves one restore at a time
 * (a lock).
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
     * @param maxAttempts tries of an HBase call of the write step (look-ups, merges) before the restore stops
     */
    public record Settings(Path workDir, String hfilesDir, long memoryBytes, long maxFileBytes, int maxAttempts) {
    }

    /** One HFile: where, its rows (one cell each) and bytes, its first and last rows, in hex, and a digest of its rows' keys. */
    public record HFile(String path, long cells, long bytes, String firstRow, String lastRow, String rows) {
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
    /** Done once the tools said they are ready; failed, with their reason, when they stopped before. */
    private final CompletableFuture<Void> ready = new CompletableFuture<>();
    /** Whether HBase's tools wait for a command (else, stopped mid-way, they are stopped at once on close). */
    private volatile boolean idle = true;
    /** Files this process wrote: one of them gone is no adoption by an earlier run. */
    private boolean wroteFiles;
    private volatile long rowsInFiles;

    /**
     * @param hbaseSettings the HBase client settings of {@code hbase}'s connection, for HBase's tools
     * @param rows writes the rows the table already holds, and counts every change
     * @throws IOException when the spool or HBase's tools cannot start
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
                "--max-file-bytes", Long.toString(settings.maxFileBytes()))));
        this.toTool = tool == null ? null : new DataOutputStream(new BufferedOutputStream(tool.input(), 1 << 20));
        this.fromTool = tool == null ? null : tool.output();
        if (tool != null) {
            Thread waiting = new Thread(() -> {
                try {
                    String line = fromTool.readLine();
                    if ("ready".equals(line)) {
                        ready.complete(null);
                    } else {
                        ready.completeExceptionally(new IOException("HBase's tools did not start: " + tool.waitForErrors()));
                    }
                } catch (IOException | InterruptedException e) {
                    ready.completeExceptionally(e);
                }
            }, "rewind-hfiles-ready");
            waiting.setDaemon(true);
            waiting.start();
        } else {
            ready.complete(null);
        }
    }

    /**
     * Adds rows to write; any thread.
     *
     * @throws IOException when HBase's tools stopped: nothing could be written, so the restore stops at once
     */
    public void add(Collection<RowWriter.RowChange> changes) throws IOException {
        if (ready.isCompletedExceptionally()) {
            try {
                awaitReady();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
        }
        spool.add(changes);
    }

    private void awaitReady() throws IOException, InterruptedException {
        try {
            ready.get();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
        }
    }

    /** Rows this run wrote into files (or, in a dry run, would). */
    public long rowsInFiles() {
        return rowsInFiles;
    }

    /** Forgets what an earlier run did: the next write starts over. */
    public void forget() throws IOException {
        Files.deleteIfExists(settings.workDir().resolve(MANIFEST));
    }

    /** Whether an earlier run wrote every file of this plan (its manifest says so): only loading is left. */
    public boolean filesWritten(String planDigest) throws IOException {
        Manifest manifest = manifest();
        return manifest.written && planDigest.equals(manifest.plan);
    }

    /** The files of the manifest, and which are loaded. */
    public Manifest manifest() throws IOException {
        return Manifest.read(settings.workDir().resolve(MANIFEST));
    }

    /**
     * Writes the spooled rows: the rows the table holds merged in place, the others as HFiles; in a dry run, nothing,
     * and the files are those it would write, one per region (cells and bytes before compression).
     *
     * @param planDigest what the rows hold (the plan's units), kept in the manifest
     */
    public Written writeFiles(String planDigest) throws IOException, InterruptedException {
        Path manifestFile = settings.workDir().resolve(MANIFEST);
        Files.deleteIfExists(manifestFile);
        awaitReady();
        TableName table = TableName.valueOf(layout.dataTable());
        // The cells' time: when they are written, later than any delete a TSD or an operator made before (a cell older
        // than a row's delete marker would be hidden by it), as row mode's puts take the region server's time.
        long cellTimestamp = System.currentTimeMillis();
        List<HFile> files = new ArrayList<>();
        AtomicReference<String> done = new AtomicReference<>();
        Thread reader = null;
        if (tool != null) {
            wroteFiles = true;
            idle = false;
            toolWrite(("write\t" + cellTimestamp + "\n").getBytes(StandardCharsets.UTF_8));
            reader = new Thread(() -> readFiles(fromTool, files, done), "rewind-hfiles-reader");
            reader.setDaemon(true);
            reader.start();
        }
        long inFiles = 0;
        long merged = 0;
        DryRunFiles predicted = dryRun ? new DryRunFiles(hbase, table) : null;
        ExecutorService lookups = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "rewind-hfiles-lookups");
            t.setDaemon(true);
            return t;
        });
        try (Table data = hbase.getTable(table)) {
            // Which rows the table holds is asked for the next rows while these are folded and sent: the look-ups' round trips
            // overlap the writing.
            Iterator<List<RowWriter.RowChange>> ordered = spool.rowsInOrder();
            List<List<RowWriter.RowChange>> first = next(ordered);
            Future<boolean[]> checking = lookups.submit(() -> exist(data, first));
            for (List<List<RowWriter.RowChange>> batch = first; !batch.isEmpty(); ) {
                List<List<RowWriter.RowChange>> following = next(ordered);
                Future<boolean[]> followingCheck = following.isEmpty() ? null : lookups.submit(() -> exist(data, following));
                boolean[] exists = answer(checking);
                List<RowWriter.RowChange> held = new ArrayList<>();
                for (int r = 0; r < batch.size(); r++) {
                    List<RowWriter.RowChange> row = batch.get(r);
                    if (exists[r]) {
                        merged++;
                        held.add(row.get(0));
                        if (row.size() > 1) { // later changes of a row go after the earlier, one write each
                            writeRows(held);
                            held.clear();
                            for (RowWriter.RowChange later : row.subList(1, row.size())) {
                                writeRows(List.of(later));
                            }
                        }
                    } else {
                        byte[][] cell = fold(row, cellTimestamp, buffers, rows::count);
                        if (cell != null) {
                            inFiles++;
                            if (predicted == null) {
                                toolCell(row.get(0).key, cell[0], cell[1]);
                            } else {
                                predicted.add(row.get(0).key, cell[0], cell[1]);
                            }
                        }
                    }
                }
                writeRows(held);
                batch = following;
                checking = followingCheck;
            }
            if (tool != null) {
                try {
                    CellStream.end(toTool);
                } catch (IOException e) {
                    throw toolFailed(e);
                }
            }
        } finally {
            lookups.shutdownNow();
        }
        if (reader != null) {
            reader.join();
            if (done.get() == null) {
                throw new IOException("HBase's HFile writer ended without listing its files: " + tool.waitForErrors());
            }
            Manifest.create(manifestFile, planDigest, cellTimestamp, files);
            idle = true;
        }
        spool.close();
        rowsInFiles = inFiles;
        return new Written(dryRun ? predicted.files() : files, inFiles, merged);
    }

    /** The next rows to look up, up to a round trip's worth; none at the end. */
    private static List<List<RowWriter.RowChange>> next(Iterator<List<RowWriter.RowChange>> ordered) {
        List<List<RowWriter.RowChange>> rows = new ArrayList<>(EXISTS_BATCH);
        while (rows.size() < EXISTS_BATCH && ordered.hasNext()) {
            rows.add(ordered.next());
        }
        return rows;
    }

    /**
     * Whether the table holds each row, tried as the settings say: one scan of the rows' key range, row keys only, which
     * into an empty range (a restore's fast path) answers at once; where the range holds many other rows (other series
     * of the metrics between these), the scan stops after a few times as many rows as asked about and the rest are
     * looked up one by one, existence only.
     */
    private boolean[] exist(Table data, List<List<RowWriter.RowChange>> rows) throws IOException, InterruptedException {
        List<byte[]> keys = new ArrayList<>(rows.size());
        rows.forEach(row -> keys.add(row.get(0).key));
        return retried("look up " + rows.size() + " rows", () -> {
            int limit = 4 * keys.size();
            org.apache.hadoop.hbase.client.Scan scan = new org.apache.hadoop.hbase.client.Scan().withStartRow(keys.get(0))
                    .withStopRow(keys.get(keys.size() - 1), true).addFamily(StorageLayout.dataFamily())
                    .setFilter(new org.apache.hadoop.hbase.filter.FilterList(new org.apache.hadoop.hbase.filter.FirstKeyOnlyFilter(),
                            new org.apache.hadoop.hbase.filter.KeyOnlyFilter())).setCaching(Math.min(limit, 10_000)).setLimit(limit)
                    .setCacheBlocks(false);
            Found found;
            try (org.apache.hadoop.hbase.client.ResultScanner scanner = data.getScanner(scan)) {
                Iterator<org.apache.hadoop.hbase.client.Result> results = scanner.iterator();
                found = found(keys, new Iterator<>() {
                    @Override
                    public boolean hasNext() {
                        return results.hasNext();
                    }

                    @Override
                    public byte[] next() {
                        return results.next().getRow();
                    }
                }, limit);
            }
            if (found.unknownFrom() < keys.size()) { // the scan stopped short: the rest are looked up one by one
                List<Get> gets = new ArrayList<>();
                for (byte[] key : keys.subList(found.unknownFrom(), keys.size())) {
                    gets.add(new Get(key).addFamily(StorageLayout.dataFamily()).setCheckExistenceOnly(true));
                }
                boolean[] rest = data.exists(gets);
                System.arraycopy(rest, 0, found.exists(), found.unknownFrom(), rest.length);
            }
            return found.exists();
        });
    }

    /** Which of the rows a scan found, and the first row it cannot tell about (all of them when it saw the whole range). */
    record Found(boolean[] exists, int unknownFrom) {
    }

    /**
     * What a scan of the rows' key range, row keys only, at most {@code limit} rows, says of the rows: each row it returned
     * is in the table; a row it passed without returning is not; if it stopped at the limit, the rows after the last one it
     * returned are unknown.
     *
     * @param keys the rows asked about, in key order
     * @param scanned the rows the scan returned, in key order
     */
    static Found found(List<byte[]> keys, Iterator<byte[]> scanned, int limit) {
        boolean[] exists = new boolean[keys.size()];
        int next = 0;
        int seen = 0;
        while (scanned.hasNext()) {
            byte[] key = scanned.next();
            seen++;
            while (next < keys.size() && Arrays.compareUnsigned(keys.get(next), key) < 0) {
                next++; // passed without being returned: not in the table
            }
            if (next < keys.size() && Arrays.equals(keys.get(next), key)) {
                exists[next++] = true;
            }
            if (seen == limit) {
                return new Found(exists, next);
            }
        }
        return new Found(exists, keys.size());
    }

    /** Merges rows the table holds, as row mode does, tried as the settings say (writing a row again gives the same row). */
    private void writeRows(List<RowWriter.RowChange> changes) throws IOException, InterruptedException {
        if (!changes.isEmpty()) {
            retried("merge " + changes.size() + " rows", () -> {
                rows.write(changes);
                return null;
            });
        }
    }

    /** An HBase call of the write step. */
    @FunctionalInterface
    private interface Call<T> {
        T run() throws IOException, InterruptedException;
    }

    /** The call, tried up to {@code maxAttempts} times (after the HBase client's own retries), 1 s apart and doubling. */
    private <T> T retried(String what, Call<T> call) throws IOException, InterruptedException {
        long pauseMs = 1_000;
        for (int attempt = 1; ; attempt++) {
            try {
                return call.run();
            } catch (IOException e) {
                if (attempt >= settings.maxAttempts()) {
                    throw new IOException("HBase did not " + what + " after " + attempt + " attempts (a rerun writes the files"
                            + " again): " + OpenTsdbClient.describe(e), e);
                }
                Thread.sleep(pauseMs);
                pauseMs = Math.min(30_000, pauseMs * 2);
            }
        }
    }

    private static boolean[] answer(Future<boolean[]> lookup) throws IOException, InterruptedException {
        try {
            return lookup.get();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
        }
    }

    private void toolWrite(byte[] bytes) throws IOException {
        try {
            toTool.write(bytes);
            toTool.flush();
        } catch (IOException e) {
            throw toolFailed(e);
        }
    }

    private void toolCell(byte[] row, byte[] qualifier, byte[] value) throws IOException {
        try {
            CellStream.write(toTool, row, qualifier, value);
        } catch (IOException e) {
            throw toolFailed(e);
        }
    }

    /** Reads the writer's list of files, up to its last line. */
    private static void readFiles(BufferedReader out, List<HFile> files, AtomicReference<String> done) {
        try {
            for (String line = out.readLine(); line != null; line = out.readLine()) {
                String[] parts = line.split("\t");
                if (parts[0].equals("file") && parts.length == 7) {
                    synchronized (files) {
                        files.add(new HFile(parts[1], Long.parseLong(parts[2]), Long.parseLong(parts[3]), parts[4], parts[5], parts[6]));
                    }
                } else if (parts[0].equals("written")) {
                    done.set(line);
                    return;
                }
            }
        } catch (IOException | RuntimeException e) {
            // the tool is gone, or said something else: the caller says why
        }
    }

    /** The tools stopped: their own words, and a hint where they name a path the region servers could not read. */
    private IOException toolFailed(IOException e) {
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
        return new IOException("HBase's tools stopped: " + (errors.isEmpty() ? e.getMessage() : errors) + hint, e);
    }

    /**
     * Loads every file of the manifest not loaded yet, one at a time, each marked loaded before the next one starts.
     *
     * @param loaded called with each file once it is loaded (or found adopted by an earlier run)
     * @return the files loaded by this run
     * @throws IOException when a file is gone and the table does not hold its rows
     */
    public List<HFile> load(Consumer<HFile> loaded) throws IOException, InterruptedException {
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
        awaitReady();
        try (Writer log = new OutputStreamWriter(Files.newOutputStream(manifestFile, StandardOpenOption.APPEND), StandardCharsets.UTF_8);
                Table data = hbase.getTable(TableName.valueOf(layout.dataTable()))) {
            idle = false;
            for (HFile file : left.values()) {
                if (!wroteFiles && inTable(data, file, manifest.timestamp)) {
                    // Loaded by a run that was killed before it could say so (the region servers may copy a file rather
                    // than move it, so its being there proves nothing): not loaded again.
                    log.write("adopted\t" + file.path() + "\n");
                    log.flush();
                    loaded.accept(file);
                    continue;
                }
                toolWrite(("load\t" + file.path() + "\n").getBytes(StandardCharsets.UTF_8));
                String answer;
                try {
                    answer = fromTool.readLine();
                } catch (IOException e) {
                    throw toolFailed(e);
                }
                if (answer == null) {
                    throw toolFailed(new IOException("HBase's tools stopped while loading " + file.path()));
                }
                String mark;
                if (answer.startsWith("loaded\t")) {
                    mark = "loaded";
                    thisRun.add(file);
                } else if (answer.startsWith("gone\t")) {
                    throw new IOException("the HFile " + file.path() + " is gone, and the table does not hold its rows: something"
                            + " else removed it (another restore writing into the same --hfiles-dir?). Its rows are not restored:"
                            + " run the restore again with --fresh");
                } else {
                    throw new IOException("HBase's tools answered '" + answer + "' to loading " + file.path());
                }
                log.write(mark + "\t" + file.path() + "\n");
                log.flush();
                loaded.accept(file);
            }
            idle = true;
        }
        return thisRun;
    }

    /**
     * Whether the table holds exactly the file's rows with a cell of the files' time: the rows of its key range that have
     * one (a time range, which HBase applies before it counts versions, so a cell written over one of the file's later
     * still counts) hash, key after key, to the digest HBase's tools took of the file's rows. A foreign row with a cell
     * of that very millisecond in the range, or one of the file's rows missing, gives another digest: the file is loaded
     * (again, which only writes the same cells twice) rather than taken as loaded.
     */
    private static boolean inTable(Table data, HFile file, long cellTimestamp) throws IOException {
        HexFormat hex = HexFormat.of();
        org.apache.hadoop.hbase.client.Scan scan = new org.apache.hadoop.hbase.client.Scan()
                .withStartRow(hex.parseHex(file.firstRow())).withStopRow(hex.parseHex(file.lastRow()), true)
                .addFamily(StorageLayout.dataFamily()).setTimeRange(cellTimestamp, cellTimestamp + 1).setCaching(1024)
                .setCacheBlocks(false).setFilter(new org.apache.hadoop.hbase.filter.FilterList(
                        new org.apache.hadoop.hbase.filter.FirstKeyOnlyFilter(), new org.apache.hadoop.hbase.filter.KeyOnlyFilter()));
        java.security.MessageDigest digest = CellStream.rowsDigest();
        try (org.apache.hadoop.hbase.client.ResultScanner scanner = data.getScanner(scan)) {
            for (org.apache.hadoop.hbase.client.Result row = scanner.next(); row != null; row = scanner.next()) {
                CellStream.digestRow(digest, row.getRow());
            }
        }
        return hex.formatHex(digest.digest()).equalsIgnoreCase(file.rows());
    }

    /**
     * Ends HBase's tools: when they wait for a command, their stdin closes and they stop; stopped mid-way (an error while
     * they wrote or loaded), they are stopped at once, as nothing they would still do is wanted.
     */
    @Override
    public void close() throws IOException {
        try {
            if (tool != null) {
                if (!idle) {
                    tool.kill();
                }
                try {
                    toTool.close();
                } catch (IOException e) {
                    // gone already
                }
                tool.close();
            }
        } finally {
            spool.close();
        }
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

    /** The manifest of a work directory: the plan and timestamp of its files, the files, whether all are written, those loaded. */
    public static final class Manifest {
        public final List<HFile> files = new ArrayList<>();
        public final java.util.Set<String> loaded = new java.util.LinkedHashSet<>();
        public boolean written;
        public String plan = "";
        public long timestamp;

        public static Manifest read(Path file) throws IOException {
            Manifest manifest = new Manifest();
            if (!Files.exists(file)) {
                return manifest;
            }
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                String[] parts = line.split("\t");
                switch (parts[0]) {
                    case "plan" -> manifest.plan = parts.length > 1 ? parts[1] : "";
                    case "timestamp" -> manifest.timestamp = Long.parseLong(parts[1]);
                    case "file" -> manifest.files.add(new HFile(parts[1], Long.parseLong(parts[2]), Long.parseLong(parts[3]), parts[4],
                            parts[5], parts[6]));
                    case "written" -> manifest.written = true;
                    case "loaded", "adopted" -> {
                        if (parts.length > 1) {
                            manifest.loaded.add(parts[1]);
                        }
                    }
                    default -> {
                        // a line cut off by a crash: the file it would have marked is loaded again, or found adopted
                    }
                }
            }
            return manifest;
        }

        /** Writes the list of files, marked written, at once (a new file moved over the old). */
        static void create(Path file, String plan, long timestamp, List<HFile> files) throws IOException {
            StringBuilder text = new StringBuilder("plan\t").append(plan).append("\ntimestamp\t").append(timestamp).append('\n');
            files.forEach(f -> text.append("file\t").append(f.path()).append('\t').append(f.cells()).append('\t').append(f.bytes())
                    .append('\t').append(f.firstRow()).append('\t').append(f.lastRow()).append('\t').append(f.rows()).append('\n'));
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
            long[] counts = perRegion.computeIfAbsent(CellStream.regionOf(starts, key), r -> new long[2]);
            counts[0]++;
            // A KeyValue: lengths (8), row length (2), row, family length (1), family, qualifier, timestamp (8), type (1), value.
            counts[1] += 20L + key.length + 1 + qualifier.length + value.length;
        }

        List<HFile> files() {
            List<HFile> files = new ArrayList<>();
            perRegion.forEach((region, counts) -> files.add(new HFile("region " + region + " (from "
                    + io.rewind.opentsdb.RowDecoder.hex(starts[region]) + ")", counts[0], counts[1], "", "", "")));
            return files;
        }
    }
}
