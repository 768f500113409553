package io.rewind.archive;

import io.rewind.schema.SeriesKey;

/**
 * Shard {@code index} of {@code count}: the share of the work one machine does, so that N machines do it at N times the
 * rate. A baseline's shard is a share of the table's keys (the baseline's ShardKeySpace); a restore's is a share of the
 * series, by {@link #owns(SeriesKey)}.
 */
public record Shard(int index, int count) {
    /** Parses {@code I/N}, refusing anything but 0 <= I < N, in the words of the {@code --shard} option. */
    public static Shard parse(String text) {
        String[] parts = text.split("/");
        try {
            int i = Integer.parseInt(parts[0].trim());
            int n = Integer.parseInt(parts[1].trim());
            if (parts.length == 2 && n >= 1 && i >= 0 && i < n) {
                return new Shard(i, n);
            }
        } catch (NumberFormatException | ArrayIndexOutOfBoundsException e) {
            // below
        }
        throw new IllegalArgumentException("--shard " + text + ": give I/N with 0 <= I < N, e.g. 0/4");
    }

    /** The whole: one shard. */
    public static final Shard ALL = new Shard(0, 1);

    /**
     * Whether the series is this shard's: its key's FNV-1a hash (64 bits, over the key's canonical bytes), modulo the
     * count. Every series belongs to exactly one shard of N, whatever else the shards are given.
     */
    public boolean owns(SeriesKey series) {
        if (count == 1) {
            return true;
        }
        long hash = 0xcbf29ce484222325L;
        for (byte b : series.toBytes()) {
            hash ^= b & 0xff;
            hash *= 0x100000001b3L;
        }
        return Long.remainderUnsigned(hash, count) == index;
    }

    @Override
    public String toString() {
        return index + " of " + count;
    }
}
