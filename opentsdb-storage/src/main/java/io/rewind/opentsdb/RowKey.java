package io.rewind.opentsdb;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

/**
 * A {@code tsdb} row key cut into its parts: {@code [salt] metric-UID base-time (tagk-UID tagv-UID)+}. The
 * base time is the row's hour, in seconds; its cells' qualifiers hold offsets from it.
 */
public record RowKey(byte[] metric, long baseTimeSeconds, List<byte[]> tagks, List<byte[]> tagvs) {

    /**
     * Reads a row key with the layout's widths.
     *
     * @throws MalformedCellException when the key's length does not fit the widths, or it has no tags
     */
    public static RowKey parse(StorageLayout layout, byte[] key) {
        int tagsAt = layout.tagsOffset();
        int pair = layout.tagkWidth() + layout.tagvWidth();
        if (key.length < tagsAt + pair || (key.length - tagsAt) % pair != 0) {
            throw new MalformedCellException("a row key of " + key.length + " bytes does not fit the widths of the configuration"
                    + " (salt " + layout.saltWidth() + ", metric " + layout.metricWidth() + ", tagk " + layout.tagkWidth()
                    + ", tagv " + layout.tagvWidth() + " bytes)");
        }
        byte[] metric = Arrays.copyOfRange(key, layout.saltWidth(), layout.saltWidth() + layout.metricWidth());
        long base = unsignedInt(key, layout.baseTimeOffset());
        int pairs = (key.length - tagsAt) / pair;
        List<byte[]> tagks = new ArrayList<>(pairs);
        List<byte[]> tagvs = new ArrayList<>(pairs);
        for (int at = tagsAt; at < key.length; at += pair) {
            tagks.add(Arrays.copyOfRange(key, at, at + layout.tagkWidth()));
            tagvs.add(Arrays.copyOfRange(key, at + layout.tagkWidth(), at + pair));
        }
        return new RowKey(metric, base, List.copyOf(tagks), List.copyOf(tagvs));
    }

    /**
     * The key of a series' row without its base time, salted as OpenTSDB salts it ({@code RowKey.prefixKeyWithSalt}: the
     * Java hash of the metric and tag UIDs, modulo the buckets, made positive); {@link #atHour} fills in the hour.
     *
     * @param tags the tag UID pairs (tagk then tagv), sorted by tagk UID as OpenTSDB sorts them
     */
    public static byte[] template(StorageLayout layout, byte[] metric, byte[] tags) {
        int pair = layout.tagkWidth() + layout.tagvWidth();
        if (metric.length != layout.metricWidth() || tags.length == 0 || tags.length % pair != 0) {
            throw new IllegalArgumentException("a metric UID of " + metric.length + " bytes and tags of " + tags.length
                    + " bytes do not fit the widths of the configuration");
        }
        byte[] key = new byte[layout.tagsOffset() + tags.length];
        System.arraycopy(metric, 0, key, layout.saltWidth(), metric.length);
        System.arraycopy(tags, 0, key, layout.tagsOffset(), tags.length);
        if (layout.saltWidth() > 0) {
            byte[] salted = new byte[metric.length + tags.length];
            System.arraycopy(metric, 0, salted, 0, metric.length);
            System.arraycopy(tags, 0, salted, metric.length, tags.length);
            int bucket = Math.abs(Arrays.hashCode(salted) % layout.saltBuckets());
            System.arraycopy(layout.saltBytes(bucket), 0, key, 0, layout.saltWidth());
        }
        return key;
    }

    /** A copy of a series' {@link #template} with the row's base hour, in seconds, filled in. */
    public static byte[] atHour(StorageLayout layout, byte[] template, long baseTimeSeconds) {
        byte[] key = template.clone();
        int at = layout.baseTimeOffset();
        key[at] = (byte) (baseTimeSeconds >>> 24);
        key[at + 1] = (byte) (baseTimeSeconds >>> 16);
        key[at + 2] = (byte) (baseTimeSeconds >>> 8);
        key[at + 3] = (byte) baseTimeSeconds;
        return key;
    }

    /** Whether the key could be a data row: long enough for the salt, a metric and a base time. */
    public static boolean hasBaseTime(StorageLayout layout, byte[] key) {
        return key.length >= layout.tagsOffset();
    }

    /** The base time of a row key without parsing the rest, in seconds. */
    public static long baseTimeSeconds(StorageLayout layout, byte[] key) {
        return unsignedInt(key, layout.baseTimeOffset());
    }

    /**
     * Whether the metric UID is all zeros: OpenTSDB's row of global annotations, which holds no points
     * (and is never salted).
     */
    public static boolean isGlobalAnnotationRow(StorageLayout layout, byte[] key) {
        if (key.length < layout.saltWidth() + layout.metricWidth()) {
            return false;
        }
        for (int i = layout.saltWidth(); i < layout.saltWidth() + layout.metricWidth(); i++) {
            if (key[i] != 0) {
                return false;
            }
        }
        return true;
    }

    /** The key in hex, as reports name rows. */
    public static String hex(byte[] key) {
        return HexFormat.of().formatHex(key);
    }

    static long unsignedInt(byte[] b, int at) {
        return ((b[at] & 0xFFL) << 24) | ((b[at + 1] & 0xFFL) << 16) | ((b[at + 2] & 0xFFL) << 8) | (b[at + 3] & 0xFFL);
    }
}
