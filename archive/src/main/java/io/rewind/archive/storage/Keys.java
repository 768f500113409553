package io.rewind.archive.storage;

/** Rules every storage applies to object keys. */
public final class Keys {
    /** Prefix of the temporary files a local write goes through; never a valid key segment. */
    public static final String TEMP_PREFIX = ".rewind-tmp-";

    private Keys() {
    }

    /**
     * Checks a key: relative, '/'-separated, no empty, '.' or '..' segments, no segment starting with
     * the temporary-file prefix.
     */
    public static String check(String key) {
        if (key == null || key.isEmpty() || key.startsWith("/") || key.endsWith("/")) {
            throw new IllegalArgumentException("Invalid object key '" + key + "': must be relative and name an object");
        }
        for (String segment : key.split("/", -1)) {
            if (segment.isEmpty() || segment.equals(".") || segment.equals("..") || segment.startsWith(TEMP_PREFIX)) {
                throw new IllegalArgumentException("Invalid object key '" + key + "': bad segment '" + segment + "'");
            }
        }
        return key;
    }
}
