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
