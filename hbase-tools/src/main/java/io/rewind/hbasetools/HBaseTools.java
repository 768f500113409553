package io.rewind.hbasetools;

import io.rewind.hbasetools.launch.CellStream;
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
 *   <li>{@code write --table T --family F --out DIR --timestamp MS [--max-file-bytes N] [--set K=V ...]}: reads cells
 *   sorted by row ({@link CellStream}) from stdin and writes them as HFiles of the table's column family (its
 *   compression, block size, encoding and bloom filter), one file per region at least, cut at the regions' start keys
 *   as they are now, so that the region servers adopt each file whole, and at {@code --max-file-bytes} of cells. Each cell gets the one timestamp given. Prints
 *   a line per file: {@code file <path> <cells> <bytes>}, then {@code done}.
 *   <li>{@code load --table T --family F [--set K=V ...] FILE...}: bulk-loads each file into the table, one at a time,
 *   with HBase's {@code BulkLoadHFiles}, printing {@code loaded <path>} once the region servers hold it, or
 *   {@code adopted <path>} for a file that is gone: the region servers moved it into the table for an earlier run.
 * </ul>
 *
 * A failure prints {@code error <message>} on stderr and exits 1.
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
                case "write" -> write(arguments, out);
                case "load" -> load(arguments, out);
                default -> throw new IllegalArgumentException("usage: HBaseTools write|load --table T --family F ...");
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

    private static void write(Arguments arguments, PrintStream out) throws IOException {
        Configuration conf = arguments.conf();
        TableName table = TableName.valueOf(arguments.required("table"));
        byte[] family = Bytes.toBytes(arguments.required("family"));
        long timestamp = Long.parseLong(arguments.required("timestamp"));
        long maxFileBytes = Long.parseLong(arguments.options().getOrDefault("max-file-bytes", Long.toString(1L << 30)));
        Path dir = new Path(arguments.required("out"));
        try (Connection connection = ConnectionFactory.createConnection(conf);
                RegionLocator regions = connection.getRegionLocator(table);
                DataInputStream in = new DataInputStream(new BufferedInputStream(System.in, 1 << 20))) {
            ColumnFamilyDescriptor descriptor;
            try (org.apache.hadoop.hbase.client.Admin admin = connection.getAdmin()) {
                descriptor = admin.getDescriptor(table).getColumnFamily(family);
            }
            if (descriptor == null) {
                throw new IOException("table " + table + " has no column family " + Bytes.toString(family));
            }
            byte[][] starts = regions.getStartKeys();
            Arrays.sort(starts, Bytes.BYTES_COMPARATOR);
            FileSystem fs = dir.getFileSystem(conf);
            if (fs.exists(dir)) { // files of a run that stopped before it listed them all: none was loaded
                fs.delete(dir, true);
            }
            fs.mkdirs(dir);
            Files files = new Files(conf, fs, dir, descriptor, table, out);
            byte[] previous = null;
            int region = -1;
            long bytes = 0;
            for (CellStream.Cell cell = CellStream.read(in); cell != null; cell = CellStream.read(in)) {
                if (previous != null && Bytes.compareTo(previous, cell.row()) >= 0) {
                    throw new IOException("rows out of order: " + Bytes.toStringBinary(cell.row()) + " after "
                            + Bytes.toStringBinary(previous));
                }
                int at = regionOf(starts, cell.row());
                if (files.writer == null || at != region || files.bytes >= maxFileBytes) {
                    files.roll();
                    region = at;
                }
                files.writer.append(new KeyValue(cell.row(), family, cell.qualifier(), timestamp, KeyValue.Type.Put, cell.value()));
                files.cells++;
                files.bytes += cell.row().length + cell.qualifier().length + cell.value().length;
                previous = cell.row();
                bytes += cell.row().length + cell.qualifier().length + cell.value().length;
            }
            files.close();
            out.println("done " + bytes);
        }
    }

    /** The index of the region whose start key is the greatest at or before the row. */
    static int regionOf(byte[][] starts, byte[] row) {
        int low = 0;
        int high = starts.length - 1;
        while (low < high) {
            int mid = (low + high + 1) >>> 1;
            if (Bytes.compareTo(starts[mid], row) <= 0) {
                low = mid;
            } else {
                high = mid - 1;
            }
        }
        return low;
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
            out.println("file " + path + " " + cells + " " + fs.getFileStatus(path).getLen());
            writer = null;
            written++;
        }
    }

    private static void load(Arguments arguments, PrintStream out) throws IOException {
        Configuration conf = arguments.conf();
        TableName table = TableName.valueOf(arguments.required("table"));
        byte[] family = Bytes.toBytes(arguments.required("family"));
        BulkLoadHFiles loader = BulkLoadHFiles.create(conf);
        for (String file : arguments.files()) {
            Path path = new Path(file);
            if (!path.getFileSystem(conf).exists(path)) {
                // The region servers move a file they adopt into the table: one gone was loaded by a run that stopped
                // before it could say so.
                out.println("adopted " + file);
                out.flush();
                continue;
            }
            Map<byte[], List<Path>> one = new java.util.TreeMap<>(Bytes.BYTES_COMPARATOR);
            one.put(family, List.of(path));
            loader.bulkLoad(table, one);
            out.println("loaded " + file);
            out.flush();
        }
    }
}
