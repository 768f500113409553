package io.rewind.opentsdb.hbase;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;

/**
 * Row keys {@code [start, stop)} of a table, unsigned lexicographic as HBase orders them; an empty start is the
 * table's first key, an empty stop its end.
 */
public record KeyRange(byte[] start, byte[] stop) {
    public static final KeyRange ALL = new KeyRange(new byte[0], new byte[0]);

    public static KeyRange of(String startHex, String stopHex) {
        return new KeyRange(HexFormat.of().parseHex(startHex), HexFormat.of().parseHex(stopHex));
    }

    public String startHex() {
        return HexFormat.of().formatHex(start);
    }

    public String stopHex() {
        return HexFormat.of().formatHex(stop);
    }

    public boolean isEmpty() {
        return stop.length > 0 && Arrays.compareUnsigned(start, stop) >= 0;
    }

    public boolean contains(byte[] key) {
        return Arrays.compareUnsigned(key, start) >= 0 && (stop.length == 0 || Arrays.compareUnsigned(key, stop) < 0);
    }

    /** The keys in both ranges; empty when they do not meet. */
    public KeyRange intersect(KeyRange other) {
        byte[] s = Arrays.compareUnsigned(start, other.start) >= 0 ? start : other.start;
        byte[] e = stop.length == 0 ? other.stop : other.stop.length == 0 ? stop
                : Arrays.compareUnsigned(stop, other.stop) <= 0 ? stop : other.stop;
        return new KeyRange(s, e);
    }

    /** This range without the given ones (in any order, overlapping or not): the pieces left, in key order. */
    public List<KeyRange> minus(List<KeyRange> done) {
        List<KeyRange> sorted = new ArrayList<>(done);
        sorted.sort(Comparator.comparing(KeyRange::start, Arrays::compareUnsigned));
        List<KeyRange> left = new ArrayList<>();
        byte[] from = start;
        for (KeyRange d : sorted) {
            KeyRange cut = intersect(d);
            if (cut.isEmpty() || (cut.stop.length > 0 && Arrays.compareUnsigned(cut.stop, from) <= 0)) {
                continue;
            }
            if (Arrays.compareUnsigned(cut.start, from) > 0) {
                left.add(new KeyRange(from, cut.start));
            }
            if (cut.stop.length == 0) {
                return left; // done to the end of the table
            }
            if (Arrays.compareUnsigned(cut.stop, from) > 0) {
                from = cut.stop;
            }
        }
        KeyRange rest = new KeyRange(from, stop);
        if (!rest.isEmpty()) {
            left.add(rest);
        }
        return left;
    }

    /** The first key after every key that starts with {@code prefix} (empty, the table's end, when there is none). */
    public static byte[] afterPrefix(byte[] prefix) {
        byte[] out = prefix.clone();
        for (int i = out.length - 1; i >= 0; i--) {
            if (out[i] != (byte) 0xFF) {
                out[i]++;
                return Arrays.copyOf(out, i + 1);
            }
        }
        return new byte[0];
    }

    public static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /** A short, stable name of the range: the first 16 hex digits of the SHA-256 of its bounds. */
    public String id() {
        java.security.MessageDigest sha;
        try {
            sha = java.security.MessageDigest.getInstance("SHA-256");
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("This JVM has no SHA-256", e);
        }
        sha.update(start);
        sha.update((byte) '|');
        sha.update(stop);
        return HexFormat.of().formatHex(sha.digest(), 0, 8);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof KeyRange other && Arrays.equals(start, other.start) && Arrays.equals(stop, other.stop);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(start) + Arrays.hashCode(stop);
    }

    @Override
    public String toString() {
        return "[" + (start.length == 0 ? "first" : startHex()) + ", " + (stop.length == 0 ? "end" : stopHex()) + ")";
    }
}
