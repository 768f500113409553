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
 * Windows shorter than an hour add {@code minute=MM/} after the hour. Times are UTC. A baseline (points read
 * from the cluster's own tables, not from Kafka) keeps its files beside them, one hour per window, under a
 * name of its own that no archiver file can take:
 * <pre>
 * v1/&lt;topic&gt;/dt=2026-11-21/hour=13/baseline/&lt;name&gt;/r-&lt;unit&gt;-&lt;chunk&gt;.avro
 * v1/&lt;topic&gt;/baseline/&lt;name&gt;/shard-&lt;i&gt;-of-&lt;n&gt;.json      (its progress and summary)
 * </pre>
 */
public final class ArchiveLayout {
    public static final String VERSION = "v1";
    /** An hour: the unit of windows (a window of an hour or more is named without minutes) and the baseline's window. */
    public static final long HOUR_MS = 3_600_000L;
    /** What a baseline's name may hold: it is a directory in every storage. */
    public static final String NAME = "[A-Za-z0-9][A-Za-z0-9._-]{0,63}";
    private static final Pattern KEY = Pattern.compile(
            "v1/(?<topic>[^/]+)/dt=(?<date>\\d{4}-\\d{2}-\\d{2})/hour=(?<hour>\\d{2})(?:/minute=(?<minute>\\d{2}))?/p=(?<partition>\\d{4,})/"
                    + "(?:part-(?<first>\\d{20})-(?<last>\\d{20})|segment-(?<generation>\\d{10}))\\.avro"
                    + "|v1/(?<btopic>[^/]+)/dt=(?<bdate>\\d{4}-\\d{2}-\\d{2})/hour=(?<bhour>\\d{2})/baseline/(?<baseline>" + NAME + ")/"
                    + "r-(?<unit>[0-9a-f]{16})-(?<chunk>\\d{6})\\.avro");
    private static final Pattern GAP_RECORD = Pattern.compile(
            "v1/[^/]+/gaps/dt=\\d{4}-\\d{2}-\\d{2}/hour=\\d{2}/(?:gap|healed)-[A-Za-z0-9._-]+\\.json");
    private static final Pattern BASELINE_STATE = Pattern.compile("v1/[^/]+/baseline/(" + NAME + ")/shard-\\d+-of-\\d+\\.json");

    private ArchiveLayout() {
    }

    /** What a data file's name says; {@code baseline} is the baseline's name, null for the archiver's files (partition -1). */
    public record FileName(String topic, long windowStartMs, int partition, boolean segment, long firstOffset, long lastOffset,
            int generation, String baseline) {
        public FileName(String topic, long windowStartMs, int partition, boolean segment, long firstOffset, long lastOffset,
                int generation) {
            this(topic, windowStartMs, partition, segment, firstOffset, lastOffset, generation, null);
        }

        public boolean isBaseline() {
            return baseline != null;
        }
    }

    /** A baseline file: the points of one hour read from one unit of work (a key range of the table), flush {@code chunk}. */
    public static String baseline(String topic, long windowStartMs, String name, String unit, int chunk) {
        return hourPrefix(topic, windowStartMs) + "baseline/" + name + "/" + String.format("r-%s-%06d.avro", unit, chunk);
    }

    /** The object that records a baseline shard's progress, and its summary once complete. */
    public static String baselineState(String topic, String name, int shard, int shards) {
        return VERSION + "/" + topic + "/baseline/" + name + "/" + String.format("shard-%d-of-%d.json", shard, shards);
    }

    /** The prefix of every baseline's state objects of a topic. */
    public static String baselineStates(String topic) {
        return VERSION + "/" + topic + "/baseline/";
    }

    public static boolean isBaselineState(String key) {
        return BASELINE_STATE.matcher(key).matches();
    }

    /** The prefix of every gap of a topic and of every record of gaps healed: {@code v1/<topic>/gaps/}. */
    public static String gaps(String topic) {
        return VERSION + "/" + topic + "/gaps/";
    }

    /** A gap a tap published: points of the hour starting at {@code hourStartMs} that it let through without backup. */
    public static String gap(String topic, long hourStartMs, String gapId) {
        return gapsOfHour(topic, hourStartMs) + "gap-" + gapId + ".json";
    }

    /** The record that the baseline {@code baselineName} took this hour's gaps (the ones it names) from HBase into the archive. */
    public static String gapsHealed(String topic, long hourStartMs, String baselineName) {
        return gapsOfHour(topic, hourStartMs) + "healed-" + baselineName + ".json";
    }

    /** A gap or a record of gaps healed. */
    public static boolean isGapRecord(String key) {
        return GAP_RECORD.matcher(key).matches();
    }

    private static String gapsOfHour(String topic, long hourStartMs) {
        ZonedDateTime t = utc(hourStartMs);
        return String.format("%s%s/hour=%02d/", gaps(topic), String.format("dt=%04d-%02d-%02d", t.getYear(), t.getMonthValue(),
                t.getDayOfMonth()), t.getHour());
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
        if (m.group("baseline") != null) {
            long hour = ZonedDateTime.parse(m.group("bdate") + "T" + m.group("bhour") + ":00:00Z").toInstant().toEpochMilli();
            return Optional.of(new FileName(m.group("btopic"), hour, -1, false, -1, -1, 0, m.group("baseline")));
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
