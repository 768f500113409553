package io.rewind.schema;

/** OpenTSDB's rule for a timestamp as written by a client: seconds, or milliseconds when a bit above the low 32 is set. */
public final class WireTimestamps {
    /** OpenTSDB's {@code Const.SECOND_MASK}: a timestamp with any of these bits set is in milliseconds. */
    public static final long SECOND_MASK = 0xFFFFFFFF00000000L;
    /** The largest timestamp in milliseconds OpenTSDB takes (13 digits): a larger one is refused as a bad timestamp. */
    public static final long MAX_MS_TIMESTAMP = 9_999_999_999_999L;

    private WireTimestamps() {
    }

    /** Whether the timestamp, as a client wrote it, is in milliseconds. */
    public static boolean isMilliseconds(long timestamp) {
        return (timestamp & SECOND_MASK) != 0;
    }
}
