package io.rewind.archive;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The names of everything Rewind writes to storage: deterministic (from topic, window, partition and
 * offsets or generation, never from a clock), time first, zero-padded so that listing order is time
 * and offset order, and a restore lists only the hours of its range:
 * <pre>
 * v1/&lt;topic&gt;/dt=2026-11-21/hour=13/p=0007/part-&lt;firstOffset&gt;-&lt;lastOffset&gt;.avro
 * v1/&lt;topic&gt;/dt=2026-11-21/hour=13/p=0007/segment-&lt;generation&gt;.avro
 * </pre>
 * Windows shorter than an hour add {@code minute=MM/} after the hour. Times are UTC.
 */
public final class ArchiveLayout {
    public static final String VERSION = "v1";
    private static final long HOUR_MS = 3_600_000L;
    private static final Pattern KEY = Pattern.compile(
            "v1/(?<topic>[^/]+)/dt=(?<date>\\d{4}-\\d{2}-\\d{2})/hour=(?<hour>\\d{2})(?:/minute=(?<minute>\\d{2}))?/p=(?<partition>\\d{4,})/"
                    + "(?:part-(?<first>\\d{20})-(?<last>\\d{20})|segment-(?<generation>\\d{10}))\\.avro");

    private ArchiveLayout() {
    }

    /** What a data file's name says. */
    public record FileName(String topic, long windowStartMs, int partition, boolean segment, long firstOffset, long lastOffset,
            int generation) {
    }

    public static String part(String topic, long windowStartMs, long windowSizeMs, int partition, long firstOffset, long lastOffset) {
        return directory(topic, windowStartMs, windowSizeMs, partition) + String.format("part-%020d-%020d.avro", firstOffset, lastOffset);
    }

    public static String segment(String topic, long windowStartMs, long windowSizeMs, int partition, int generation) {
        return directory(topic, windowStartMs, windowSizeMs, partition) + String.format("segment-%010d.avro", generation);
    }

    /** The directory of one (window, partition), ending in '/'. */
    public static String directory(String topic, long windowStartMs, long windowSizeMs, int partition) {
        return hourPrefix(topic, windowStartMs)
                + (windowSizeMs < HOUR_MS ? String.format("minute=%02d/", utc(windowStartMs).getMinute()) : "")
                + String.format("p=%04d/", partition);
    }

    /** Everything of the hour that holds {@code timeMs}, ending in '/': what a restore lists per hour of its range. */
    public static String hourPrefix(String topic, long timeMs) {
        ZonedDateTime t = utc(timeMs);
        return String.format("%s/%s/dt=%04d-%02d-%02d/hour=%02d/", VERSION, topic, t.getYear(), t.getMonthValue(),
                t.getDayOfMonth(), t.getHour());
    }

    /** Reads a data file's name; empty for anything else (a sidecar, a foreign object). */
    public static Optional<FileName> parse(String key) {
        Matcher m = KEY.matcher(key);
        if (!m.matches()) {
            return Optional.empty();
        }
        ZonedDateTime start = ZonedDateTime.parse(m.group("date") + "T" + m.group("hour") + ":"
                + (m.group("minute") == null ? "00" : m.group("minute")) + ":00Z");
        boolean segment = m.group("generation") != null;
        return Optional.of(new FileName(m.group("topic"), start.toInstant().toEpochMilli(), Integer.parseInt(m.group("partition")),
                segment, segment ? -1 : Long.parseLong(m.group("first")), segment ? -1 : Long.parseLong(m.group("last")),
                segment ? Integer.parseInt(m.group("generation")) : 0));
    }

    private static ZonedDateTime utc(long timeMs) {
        return Instant.ofEpochMilli(timeMs).atZone(ZoneOffset.UTC);
    }
}
