package io.rewind.opentsdb;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

/**
 * How a cluster lays out its points in HBase, read from a TSD's {@code opentsdb.conf} with OpenTSDB's own
 * setting names and defaults: where the tables are (ZooKeeper quorum and base znode, data and UID table
 * names) and the widths that cut a row key into salt, metric UID, base hour and tag UIDs.
 */
public record StorageLayout(String zkQuorum, String zkBaseDir, String dataTable, String uidTable, int saltWidth, int saltBuckets,
        int metricWidth, int tagkWidth, int tagvWidth) {
    /** Bytes of the base time in a row key: seconds, unsigned, big-endian. */
    public static final int TIMESTAMP_BYTES = 4;
    /** The time one row spans: a series' points of one hour share a row, its key's base time the start of that hour. */
    public static final long ROW_SPAN_SECONDS = 3600;
    public static final long ROW_SPAN_MS = ROW_SPAN_SECONDS * 1000;
    private static final byte[] DATA_FAMILY = {'t'};

    /** The data table's one column family, which holds every cell (a copy: the caller may keep it). */
    public static byte[] dataFamily() {
        return DATA_FAMILY.clone();
    }

    public StorageLayout {
        List<String> problems = new ArrayList<>();
        check(problems, "tsd.storage.salt.width", saltWidth, 0, 8);
        if (saltWidth > 0) {
            check(problems, "tsd.storage.salt.buckets", saltBuckets, 1, saltWidth >= 4 ? Integer.MAX_VALUE : 1 << (8 * saltWidth));
        }
        check(problems, "tsd.storage.uid.width.metric", metricWidth, 1, 8);
        check(problems, "tsd.storage.uid.width.tagk", tagkWidth, 1, 8);
        check(problems, "tsd.storage.uid.width.tagv", tagvWidth, 1, 8);
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(String.join("; ", problems));
        }
    }

    /** A cluster with OpenTSDB's defaults: unsalted {@code tsdb} and {@code tsdb-uid} tables, 3-byte UIDs. */
    public static StorageLayout defaults(String zkQuorum) {
        return new StorageLayout(zkQuorum, "/hbase", "tsdb", "tsdb-uid", 0, 20, 3, 3, 3);
    }

    /** Reads a TSD's configuration file; a setting it lacks has OpenTSDB's default. */
    public static StorageLayout fromConfig(Path config) throws IOException {
        Properties properties = new Properties();
        try (Reader in = Files.newBufferedReader(config, StandardCharsets.ISO_8859_1)) {
            properties.load(in);
        }
        try {
            return fromProperties(properties);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(config + ": " + e.getMessage(), e);
        }
    }

    public static StorageLayout fromProperties(Properties p) {
        return new StorageLayout(
                text(p, "tsd.storage.hbase.zk_quorum", "localhost"),
                text(p, "tsd.storage.hbase.zk_basedir", "/hbase"),
                text(p, "tsd.storage.hbase.data_table", "tsdb"),
                text(p, "tsd.storage.hbase.uid_table", "tsdb-uid"),
                number(p, "tsd.storage.salt.width", 0),
                number(p, "tsd.storage.salt.buckets", 20),
                number(p, "tsd.storage.uid.width.metric", 3),
                number(p, "tsd.storage.uid.width.tagk", 3),
                number(p, "tsd.storage.uid.width.tagv", 3));
    }

    /** Where the base time starts in a row key. */
    public int baseTimeOffset() {
        return saltWidth + metricWidth;
    }

    /** Where the tag UIDs start in a row key. */
    public int tagsOffset() {
        return saltWidth + metricWidth + TIMESTAMP_BYTES;
    }

    /** The salt bytes of a bucket, as OpenTSDB's {@code RowKey.getSaltBytes} writes them (big-endian). */
    public byte[] saltBytes(int bucket) {
        byte[] bytes = new byte[saltWidth];
        for (int i = 1, shift = 0; i <= saltWidth; i++, shift += 8) {
            bytes[saltWidth - i] = (byte) (bucket >>> shift);
        }
        return bytes;
    }

    /** The number of salt prefixes a key range must be scanned under: the buckets, or 1 when unsalted. */
    public int saltPrefixes() {
        return saltWidth == 0 ? 1 : saltBuckets;
    }

    private static String text(Properties p, String key, String otherwise) {
        String value = p.getProperty(key);
        return value == null || value.isBlank() ? otherwise : value.trim();
    }

    private static int number(Properties p, String key, int otherwise) {
        String value = text(p, key, null);
        if (value == null) {
            return otherwise;
        }
        try {
            return Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " is not a number: " + value, e);
        }
    }

    private static void check(List<String> problems, String key, int value, int min, int max) {
        if (value < min || value > max) {
            problems.add(key + " = " + value + " is not in [" + min + ", " + max + "]");
        }
    }
}
