package io.rewind.opentsdb.hbase;

import io.rewind.opentsdb.RowKey;
import io.rewind.opentsdb.StorageLayout;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.concurrent.ConcurrentHashMap;
import net.opentsdb.core.Const;
import net.opentsdb.core.TSDB;
import net.opentsdb.core.Tags;
import net.opentsdb.uid.NoSuchUniqueName;
import net.opentsdb.uid.UniqueId.UniqueIdType;

/**
 * The row key of each series written, its UIDs found or assigned by OpenTSDB's own {@code UniqueId} (the atomic
 * increment and the two check-and-puts on {@code tsdb-uid} every TSD uses, so a TSD running beside the restore never
 * sees a UID twice), and only where a TSD would assign them: a metric with {@code tsd.core.auto_create_metrics}, a tag
 * name or value unless {@code auto_create_tagks}/{@code auto_create_tagvs} are off. A series a TSD would refuse is
 * refused with the TSD's reason. Kept per series: a restore meets each one in every hour.
 */
public final class SeriesRowKeys {
    /** A series' metric and tags. */
    private record Name(String metric, SortedMap<String, String> tags) {
    }

    private final TSDB tsdb;
    private final StorageLayout layout;
    private final ConcurrentHashMap<Name, byte[]> templates = new ConcurrentHashMap<>();

    public SeriesRowKeys(TSDB tsdb, StorageLayout layout) {
        this.tsdb = tsdb;
        this.layout = layout;
    }

    /**
     * The series' row key without its hour ({@link RowKey#template}), assigning UIDs a TSD would assign.
     *
     * @throws IllegalArgumentException as a TSD refuses the series (no tag, too many, a character it does not take)
     * @throws NoSuchUniqueName a name the TSD would not create a UID for
     */
    public byte[] template(String metric, SortedMap<String, String> tags) {
        Name name = new Name(metric, tags);
        byte[] known = templates.get(name);
        if (known != null) {
            return known;
        }
        check(metric, tags);
        byte[] template = build(name, true);
        templates.putIfAbsent(name, template);
        return template;
    }

    /** The series' row key without its hour, or null when one of its names has no UID: then it has no row to change. */
    public byte[] existing(String metric, SortedMap<String, String> tags) {
        Name name = new Name(metric, tags);
        byte[] known = templates.get(name);
        if (known != null) {
            return known;
        }
        try {
            check(metric, tags);
            byte[] template = build(name, false);
            templates.putIfAbsent(name, template);
            return template;
        } catch (NoSuchUniqueName | IllegalArgumentException none) {
            return null;
        }
    }

    private byte[] build(Name name, boolean create) {
        byte[] metric = uid(UniqueIdType.METRIC, name.metric(), create && tsdb.getConfig().auto_metric());
        List<byte[]> pairs = new ArrayList<>(name.tags().size());
        for (Map.Entry<String, String> tag : name.tags().entrySet()) {
            ByteArrayOutputStream pair = new ByteArrayOutputStream();
            pair.writeBytes(uid(UniqueIdType.TAGK, tag.getKey(), create && tsdb.getConfig().auto_tagk()));
            pair.writeBytes(uid(UniqueIdType.TAGV, tag.getValue(), create && tsdb.getConfig().auto_tagv()));
            pairs.add(pair.toByteArray());
        }
        pairs.sort(Arrays::compareUnsigned); // as OpenTSDB sorts a row's tags: by tag name UID
        ByteArrayOutputStream tags = new ByteArrayOutputStream();
        pairs.forEach(tags::writeBytes);
        return RowKey.template(layout, metric, tags.toByteArray());
    }

    private byte[] uid(UniqueIdType kind, String name, boolean create) {
        try {
            return tsdb.getUID(kind, name);
        } catch (NoSuchUniqueName missing) {
            if (!create) {
                throw missing;
            }
        }
        try {
            return tsdb.assignUid(kind.name().toLowerCase(), name);
        } catch (IllegalArgumentException assignedMeanwhile) { // "Name already exists": another TSD or thread won the race
            return tsdb.getUID(kind, name);
        }
    }

    /** What {@code TSDB.addPoint} checks of a series before it looks up any UID ({@code IncomingDataPoints.checkMetricAndTags}). */
    public static void check(String metric, Map<String, String> tags) {
        if (tags.isEmpty()) {
            throw new IllegalArgumentException("Need at least one tag (metric=" + metric + ", tags=" + tags + ')');
        } else if (tags.size() > Const.MAX_NUM_TAGS()) {
            throw new IllegalArgumentException("Too many tags: " + tags.size() + " maximum allowed: " + Const.MAX_NUM_TAGS()
                    + ", tags: " + tags);
        }
        Tags.validateString("metric name", metric);
        for (Map.Entry<String, String> tag : tags.entrySet()) {
            Tags.validateString("tag name with value [" + tag.getValue() + "]", tag.getKey());
            Tags.validateString("tag value with key [" + tag.getKey() + "]", tag.getValue());
        }
    }
}
