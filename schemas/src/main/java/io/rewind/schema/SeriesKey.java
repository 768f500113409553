package io.rewind.schema;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The canonical identity of a time series: its metric plus its tags sorted by tag key, in one byte
 * form. It is the Kafka record key of every point, so one series always lands in one partition, in
 * order, and it is the sort key of segment files.
 *
 * <p>Byte form: the UTF-8 metric, then for each tag in ascending order of its key's UTF-8 bytes, a
 * NUL byte, the UTF-8 key, a NUL byte, the UTF-8 value. OpenTSDB names never contain NUL, so the form
 * is unambiguous, and comparing keys byte by byte (unsigned) orders series by metric, then by tags,
 * with a metric sorting before every longer metric it is a prefix of.
 */
public final class SeriesKey implements Comparable<SeriesKey> {
    private static final byte SEPARATOR = 0;

    private final byte[] bytes;

    private SeriesKey(byte[] bytes) {
        this.bytes = bytes;
    }

    /** The key of a series; rejects names that contain NUL, which OpenTSDB never accepts. */
    public static SeriesKey of(String metric, Map<String, String> tags) {
        byte[] metricBytes = utf8("metric", metric);
        byte[][] keys = new byte[tags.size()][];
        byte[][] values = new byte[tags.size()][];
        int[] order = new int[tags.size()];
        int i = 0;
        int size = metricBytes.length;
        for (Map.Entry<String, String> tag : tags.entrySet()) {
            keys[i] = utf8("tag key", tag.getKey());
            values[i] = utf8("tag value", tag.getValue());
            size += 2 + keys[i].length + values[i].length;
            // Insertion sort by key bytes: a series has a handful of tags, and this runs for every point the tap takes.
            int at = i;
            while (at > 0 && Arrays.compareUnsigned(keys[order[at - 1]], keys[i]) > 0) {
                order[at] = order[at - 1];
                at--;
            }
            order[at] = i;
            i++;
        }
        byte[] out = new byte[size];
        int pos = copy(metricBytes, out, 0);
        for (int index : order) {
            out[pos++] = SEPARATOR;
            pos = copy(keys[index], out, pos);
            out[pos++] = SEPARATOR;
            pos = copy(values[index], out, pos);
        }
        return new SeriesKey(out);
    }

    /** The key of the series a point belongs to. */
    public static SeriesKey of(Point point) {
        return of(point.getMetric(), point.getTags());
    }

    /** Reads a key from its byte form, e.g. a Kafka record key; the array is copied. */
    public static SeriesKey fromBytes(byte[] bytes) {
        int separators = 0;
        for (byte b : bytes) {
            if (b == SEPARATOR) {
                separators++;
            }
        }
        if (bytes.length == 0 || separators % 2 != 0) {
            throw new IllegalArgumentException(
                    "Not a series key: expected a metric followed by key/value pairs, got "
                            + bytes.length + " bytes with " + separators + " separators");
        }
        return new SeriesKey(bytes.clone());
    }

    /** The byte form; a copy, so the key stays immutable. */
    public byte[] toBytes() {
        return bytes.clone();
    }

    public String metric() {
        return parts().get(0);
    }

    /** The tags, sorted by key. */
    public SortedMap<String, String> tags() {
        List<String> parts = parts();
        SortedMap<String, String> tags = new TreeMap<>();
        for (int i = 1; i < parts.size(); i += 2) {
            tags.put(parts.get(i), parts.get(i + 1));
        }
        return Collections.unmodifiableSortedMap(tags);
    }

    private List<String> parts() {
        List<String> parts = new ArrayList<>();
        int start = 0;
        for (int i = 0; i <= bytes.length; i++) {
            if (i == bytes.length || bytes[i] == SEPARATOR) {
                parts.add(new String(bytes, start, i - start, StandardCharsets.UTF_8));
                start = i + 1;
            }
        }
        return parts;
    }

    @Override
    public int compareTo(SeriesKey other) {
        return Arrays.compareUnsigned(bytes, other.bytes);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SeriesKey other && Arrays.equals(bytes, other.bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }

    /** OpenTSDB's own notation: {@code metric{k1=v1, k2=v2}}. */
    @Override
    public String toString() {
        return metric() + tags();
    }

    private static byte[] utf8(String what, String name) {
        if (name.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("A " + what + " cannot contain NUL: " + name.replace('\0', '?'));
        }
        return name.getBytes(StandardCharsets.UTF_8);
    }

    private static int copy(byte[] from, byte[] to, int at) {
        System.arraycopy(from, 0, to, at, from.length);
        return at + from.length;
    }
}
