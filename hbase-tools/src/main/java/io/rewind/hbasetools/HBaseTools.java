package io.rewind.hbasetools;

import io.rewind.hbasetools.launch.CellStream;
import io.rewind.hbasetools.launch.RowStream;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.hbase.HBaseConfiguration;
import org.apache.hadoop.hbase.KeyValue;
import org.apache.hadoop.hbase.TableName;
import org.apache.hadoop.hbase.client.ColumnFamilyDescriptor;
import org.apache.hadoop.hbase.client.Connection;
import org.apache.hadoop.hbase.client.ConnectionFactory;
import org.apache.hadoop.hbase.client.RegionLocator;
import org.apache.hadoop.hbase.io.hfile.CacheConfig;
import org.apache.hadoop.hbase.io.hfile.HFile;
import org.apache.hadoop.hbase.io.hfile.HFileContext;
import org.apache.hadoop.hbase.io.hfile.HFileContextBuilder;
import org.apache.hadoop.hbase.regionserver.HStoreFile;
import org.apache.hadoop.hbase.regionserver.StoreFileWriter;
import org.apache.hadoop.hbase.tool.BulkLoadHFiles;
import org.apache.hadoop.hbase.util.Bytes;

/**
 * HBase's own server code, run by {@link io.rewind.hbasetools.launch.HBaseToolsProcess} in a JVM of its own:
 *
 * <ul>
 *   <li>{@code bulk --table T --family F --out DIR [--max-file-bytes N] [--set K=V ...]}: a bulk-load session,
 *   connected once (while the restore still reads the archive), which answers {@code ready} once it has checked that it
 *   can write the family's compression, then takes one command of stdin after the other (fields separated by tabs):
 *   <ul>
 *     <li>{@code write <timestamp>}, followed by cells sorted by row ({@link CellStream}): writes them as HFiles of the
 *     table's column family (its compression, block size, encoding and bloom filter) into DIR, emptied first; one file
 *     per region at least, cut at the regions' start keys as they are then, so that the region servers adopt each file
 *     whole, and at {@code --max-file-bytes} of cells. Each cell gets the timestamp given. Answers a line per file,
 *     {@code file <path> <cells> <bytes> <first row> <last row> <digest of its rows' keys>} (in hex), then
 *     {@code written <bytes>}.
 *     <li>{@code load <path>}: bulk-loads the file with HBase's {@code BulkLoadHFiles}, answering {@code loaded <path>}
 *     once the region servers hold it, or {@code gone <path>} for a file that is no longer there (the region servers move
 *     a file they adopt into the table: the restore checks whether they did).
 *   </ul>
 *   <li>{@code snapshot-scan --snapshot S --root DIR --restore-dir DIR [--set K=V ...]}: reads a snapshot's HFiles
 *   straight from the HBase root directory, as HBase's {@code TableSnapshotScanner} does, without the region servers. For
 *   each line {@code scan <start hex> <stop hex>} on stdin it writes that key range's rows to stdout ({@link RowStream}),
 *   the newest version of each cell of the family.
 * </ul>
 *
 * Each ends when stdin does, or when the process that started it does. A failure prints {@code error <message>} on
 * stderr and exits 1.
 */
public final class HBaseTools {
    private HBaseTools() {
    }

    public static void main(String[] args) {
        PrintStream out = System.out;
        // Ends with the restore that started it: a restore killed midway leaves no tool loading files behind it, which the
        // rerun's own would race.
        ProcessHandle.current().parent().ifPresent(parent -> parent.onExit().thenRun(() -> Runtime.getRuntime().halt(3)));
        try {
            Arguments arguments = Arguments.parse(Arrays.copyOfRange(args, 1, args.length));
            switch (args.length == 0 ? "" : args[0]) {
                case "bulk" -> bulk(arguments, out);
                case "snapshot-scan" -> snapshotScan(arguments);
                default -> throw new IllegalArgumentException("usage: HBaseTools bulk|snapshot-scan ...");
            }
            out.flush();
            System.exit(0);
        } catch (Exception | LinkageError e) {
            System.err.println("error " + e);
            System.err.flush();
            System.exit(1);
        }
    }

    /** The options and the files named. */
    record Arguments(Map<String, String> options, Map<String, String> settings, List<String> files) {
        static Arguments parse(String[] args) {
            Map<String, String> options = new LinkedHashMap<>();
            Map<String, String> settings = new LinkedHashMap<>();
            List<String> files = new ArrayList<>();
            for (int i = 0; i < args.length; i++) {
                if (args[i].equals("--set")) {
                    String setting = args[++i];
                    int eq = setting.indexOf('=');
                    settings.put(setting.substring(0, eq), setting.substring(eq + 1));
                } else if (args[i].startsWith("--")) {
                    options.put(args[i].substring(2), args[++i]);
                } else {
                    files.add(args[i]);
                }
            }
            return new Arguments(options, settings, files);
        }

        String required(String name) {
            String value = options.get(name);
            if (value == null) {
                throw new IllegalArgumentException("--" + name + " is required");
            }
            return value;
        }

        Configuration conf() {
            Configuration conf = HBaseConfiguration.create();
            settings.forEach(conf::set);
            return conf;
        }
    }

    /**
     * A bulk-load session: connected once, then each command of stdin in turn ({@code write}, then the cell stream; or
     * {@code load <path>}), answered on stdout.
     */
    private static void bulk(Arguments arguments, PrintStream out) throws IOException {
        Configuration conf = arguments.conf();
        TableName table = TableName.valueOf(arguments.required("table"));
        byte[] family = Bytes.toBytes(arguments.required("family"));
        long maxFileBytes = Long.parseLong(arguments.options().getOrDefault("max-file-bytes", Long.toString(1L << 30)));
        Path dir = new Path(arguments.required("out"));
        try (Connection connection = ConnectionFactory.createConnection(conf);
                DataInputStream in = new DataInputStream(new BufferedInputStream(System.in, 1 << 20))) {
            ColumnFamilyDescriptor descriptor;
            try (org.apache.hadoop.hbase.client.Admin admin = connection.getAdmin()) {
                descriptor = admin.getDescriptor(table).getColumnFamily(family);
            }
            if (descriptor == null) {
                throw new IOException("table " + table + " has no column family " + Bytes.toString(family));
            }
            // A codec this JVM lacks (LZO, or Snappy without Hadoop's native library) fails here, before the restore has
            // spent its time reading the archive, not when the first file is written.
            org.apache.hadoop.hbase.io.compress.Compression.Algorithm compression = descriptor.getCompressionType();
            try {
                compression.returnCompressor(compression.getCompressor());
            } catch (RuntimeException | LinkageError e) {
                throw new IOException("the table's column family is compressed with " + compression + ", which HBase's tools cannot"
                        + " write here (" + e + "): restore with --write-mode=rows", e);
            }
            out.println("ready");
            out.flush();
            BulkLoadHFiles loader = BulkLoadHFiles.create(conf);
            for (String command = line(in); command != null; command = line(in)) {
                if (command.startsWith("write\t")) {
                    write(conf, connection, table, descriptor, Long.parseLong(command.substring(6)), maxFileBytes, dir, in, out);
                } else if (command.startsWith("load\t")) {
                    load(conf, loader, table, family, command.substring(5), out);
                } else {
                    throw new IllegalArgumentException("unknown command: " + command);
                }
                out.flush();
            }
        }
    }

    /** A line of stdin, or null at its end. */
    private static String line(DataInputStream in) throws IOException {
        java.io.ByteArrayOutputStream line = new java.io.ByteArrayOutputStream();
        for (int b = in.read(); b != '\n'; b = in.read()) {
            if (b < 0) {
                return line.size() == 0 ? null : line.toString(java.nio.charset.StandardCharsets.UTF_8);
            }
            line.write(b);
        }
        return line.toString(java.nio.charset.StandardCharsets.UTF_8);
    }

    /** Writes the cell stream as HFiles into {@code dir}, emptied first, cut at the regions' start keys as they are now. */
    private static void write(Configuration conf, Connection connection, TableName table, ColumnFamilyDescriptor descriptor,
            long timestamp, long maxFileBytes, Path dir, DataInputStream in, PrintStream out) throws IOException {
        byte[][] starts;
        try (RegionLocator regions = connection.getRegionLocator(table)) {
            starts = regions.getStartKeys();
        }
        Arrays.sort(starts, Bytes.BYTES_COMPARATOR);
        FileSystem fs = dir.getFileSystem(conf);
        // HFiles carry their own checksums, block by block: on a local filesystem, Hadoop's second set (.crc files) is
        // only work.
        fs.setWriteChecksum(false);
        if (fs.exists(dir)) { // files of a run that stopped before it listed them all: none was loaded
            fs.delete(dir, true);
        }
        fs.mkdirs(dir);
        Files files = new Files(conf, fs, dir, descriptor, table, out);
        byte[] family = descriptor.getName();
        byte[] previous = null;
        int region = -1;
        long bytes = 0;
        for (CellStream.Cell cell = CellStream.read(in); cell != null; cell = CellStream.read(in)) {
            if (previous != null && Bytes.compareTo(previous, cell.row()) >= 0) {
                throw new IOException("rows out of order: " + Bytes.toStringBinary(cell.row()) + " after "
                        + Bytes.toStringBinary(previous));
            }
            int at = CellStream.regionOf(starts, cell.row());
            if (files.writer == null || at != region || files.bytes >= maxFileBytes) {
                files.roll();
                region = at;
            }
            files.writer.append(new KeyValue(cell.row(), family, cell.qualifier(), timestamp, KeyValue.Type.Put, cell.value()));
            if (files.cells == 0) {
                files.first = cell.row();
            }
            CellStream.digestRow(files.rows, cell.row());
            files.last = cell.row();
            files.cells++;
            long size = cell.row().length + cell.qualifier().length + cell.value().length;
            files.bytes += size;
            bytes += size;
            previous = cell.row();
        }
        files.close();
        out.println("written\t" + bytes);
    }

    /** The file being written, and those written. */
    private static final class Files {
        private final Configuration conf;
        private final FileSystem fs;
        private final Path dir;
        private final ColumnFamilyDescriptor family;
        private final TableName table;
        private final PrintStream out;
        StoreFileWriter writer;
        long cells;
        long bytes;
        byte[] first;
        byte[] last;
        java.security.MessageDigest rows;
        int written;

        Files(Configuration conf, FileSystem fs, Path dir, ColumnFamilyDescriptor family, TableName table, PrintStream out) {
            this.conf = conf;
            this.fs = fs;
            this.dir = dir;
            this.family = family;
            this.table = table;
            this.out = out;
        }

        void roll() throws IOException {
            close();
            // As HBase's HFileOutputFormat2 writes them: the family's compression, block size, encoding and bloom filter.
            HFileContextBuilder context = new HFileContextBuilder().withCompression(family.getCompressionType())
                    .withDataBlockEncoding(family.getDataBlockEncoding()).withBlockSize(family.getBlocksize())
                    .withColumnFamily(family.getName()).withTableName(table.getName())
                    .withCreateTime(System.currentTimeMillis());
            if (HFile.getFormatVersion(conf) >= HFile.MIN_FORMAT_VERSION_WITH_TAGS) {
                context.withIncludesTags(true);
            }
            HFileContext built = context.build();
            Path path = new Path(dir, String.format("%05d", written));
            writer = new StoreFileWriter.Builder(conf, CacheConfig.DISABLED, fs).withFilePath(path)
                    .withBloomType(family.getBloomFilterType()).withFileContext(built).build();
            cells = 0;
            bytes = 0;
            first = null;
            last = null;
            rows = CellStream.rowsDigest();
        }

        void close() throws IOException {
            if (writer == null) {
                return;
            }
            writer.appendFileInfo(HStoreFile.BULKLOAD_TIME_KEY, Bytes.toBytes(System.currentTimeMillis()));
            writer.appendFileInfo(HStoreFile.MAJOR_COMPACTION_KEY, Bytes.toBytes(true));
            writer.appendFileInfo(HStoreFile.EXCLUDE_FROM_MINOR_COMPACTION_KEY, Bytes.toBytes(false));
            writer.appendTrackedTimestampsToMetadata();
            writer.close();
            Path path = writer.getPath();
            out.println("file\t" + path + "\t" + cells + "\t" + fs.getFileStatus(path).getLen() + "\t" + Bytes.toHex(first) + "\t"
                    + Bytes.toHex(last) + "\t" + Bytes.toHex(rows.digest()));
            writer = null;
            written++;
        }
    }

    private static void snapshotScan(Arguments arguments) throws IOException {
        Configuration conf = arguments.conf();
        String snapshot = arguments.required("snapshot");
        Path root = new Path(arguments.required("root"));
        Path restores = new Path(arguments.required("restore-dir"));
        byte[] family = Bytes.toBytes(arguments.options().getOrDefault("family", "t"));
        conf.set("hbase.rootdir", root.toString());
        conf.set("fs.defaultFS", root.toUri().getScheme() == null ? "file:///" : root.toUri().getScheme() + "://"
                + (root.toUri().getAuthority() == null ? "" : root.toUri().getAuthority()) + "/");
        java.io.BufferedReader commands = new java.io.BufferedReader(new java.io.InputStreamReader(System.in, java.nio.charset.StandardCharsets.UTF_8));
        java.io.DataOutputStream rows = new java.io.DataOutputStream(new java.io.BufferedOutputStream(new java.io.FileOutputStream(
                java.io.FileDescriptor.out), 1 << 20));
        java.util.HexFormat hex = java.util.HexFormat.of();
        // The snapshot laid out once for this reader (links to its files, no data), every range read from that layout: not
        // once per range, which would link every region's files again each time.
        Path restore = new Path(restores, "reader-" + ProcessHandle.current().pid());
        org.apache.hadoop.fs.FileSystem fs = restore.getFileSystem(conf);
        boolean restored = false;
        try {
            for (String line = commands.readLine(); line != null; line = commands.readLine()) {
                String[] parts = line.split(" ", -1);
                if (parts.length != 3 || !parts[0].equals("scan")) {
                    throw new IllegalArgumentException("expected 'scan <start hex> <stop hex>', got: " + line);
                }
                org.apache.hadoop.hbase.client.Scan scan = new org.apache.hadoop.hbase.client.Scan().withStartRow(hex.parseHex(parts[1]))
                        .withStopRow(hex.parseHex(parts[2])).addFamily(family).readVersions(1).setCacheBlocks(false);
                try {
                    if (!restored) {
                        org.apache.hadoop.hbase.snapshot.RestoreSnapshotHelper.copySnapshotForScanner(conf, fs, root, restore, snapshot);
                        restored = true;
                    }
                    try (org.apache.hadoop.hbase.client.TableSnapshotScanner scanner = new org.apache.hadoop.hbase.client.TableSnapshotScanner(
                            conf, root, restore, snapshot, scan, true)) {
                        for (org.apache.hadoop.hbase.client.Result result = scanner.next(); result != null; result = scanner.next()) {
                            RowStream.writeRow(rows, result.getRow(), result.rawCells().length);
                            for (org.apache.hadoop.hbase.Cell cell : result.rawCells()) {
                                RowStream.writeCell(rows, org.apache.hadoop.hbase.CellUtil.cloneQualifier(cell),
                                        org.apache.hadoop.hbase.CellUtil.cloneValue(cell), cell.getTimestamp());
                            }
                        }
                    }
                } catch (IOException | RuntimeException e) {
                    RowStream.fail(rows, e.toString());
                    throw e;
                }
                RowStream.end(rows);
            }
        } finally {
            fs.delete(restore, true);
        }
    }

    /** Bulk-loads one file; says so when it is gone (the restore finds out whether the region servers adopted it). */
    private static void load(Configuration conf, BulkLoadHFiles loader, TableName table, byte[] family, String file, PrintStream out)
            throws IOException {
        Path path = new Path(file);
        if (!path.getFileSystem(conf).exists(path)) {
            out.println("gone\t" + file);
            return;
        }
        Map<byte[], List<Path>> one = new java.util.TreeMap<>(Bytes.BYTES_COMPARATOR);
        one.put(family, List.of(path));
        loader.bulkLoad(table, one);
        out.println("loaded\t" + file);
    }
}
