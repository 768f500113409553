package io.rewind.archive.segment;

/** A segment or part file cannot be read to its end, or does not match its checksum: which file, where, why. */
public class SegmentCorruptException extends RuntimeException {
    private final String file;

    public SegmentCorruptException(String file, String where, String why, Throwable cause) {
        super(file + ": " + why + " (at " + where + ")", cause);
        this.file = file;
    }

    public String file() {
        return file;
    }
}
