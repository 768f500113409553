package io.rewind.baseline;

/** Shard {@code index} of {@code count}: the share of the table's keys one machine reads ({@link ShardKeySpace}). */
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

    @Override
    public String toString() {
        return index + " of " + count;
    }
}
