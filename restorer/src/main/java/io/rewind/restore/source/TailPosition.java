package io.rewind.restore.source;

/**
 * One partition when the restore started: its first offset Kafka still holds, the first the archive lacks (how that is
 * known), and its end.
 */
public record TailPosition(int partition, long logStart, long archivedTo, Source source, long end) {
    /** The first offset the tail reads. */
    public long from() {
        return Math.min(end, Math.max(archivedTo, logStart));
    }

    /** Records past the archive that Kafka holds. */
    public long records() {
        return end - from();
    }

    /** Records past the archive that Kafka has already deleted (retention): lost to the restore. */
    public long deleted() {
        return Math.max(0, Math.min(end, logStart) - archivedTo);
    }

    /** This partition, its log starting at {@code start} now: retention deleted more since it was read. */
    TailPosition withLogStart(long start) {
        return new TailPosition(partition, Math.max(logStart, start), archivedTo, source, end);
    }

    /** How the first offset a partition's archive lacks is known. */
    public enum Source {
        COMMITTED("the archiver's committed offset"),
        FILES("past the archived files' offsets"),
        NOTHING("nothing of it archived");

        public final String description;

        Source(String description) {
            this.description = description;
        }
    }
}
