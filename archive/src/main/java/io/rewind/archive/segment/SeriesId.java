package io.rewind.archive.segment;

import io.rewind.schema.PointKind;
import io.rewind.schema.Rollup;
import io.rewind.schema.SeriesKey;
import java.util.Comparator;
import java.util.Objects;

/**
 * What one block of a segment file holds the points of: a series (metric and tags), of one kind, and
 * for rollups one interval and aggregator, since OpenTSDB keeps those apart. Ordered by series key,
 * then kind, then rollup: the order of the blocks in every file.
 */
public record SeriesId(SeriesKey key, PointKind kind, Rollup rollup) implements Comparable<SeriesId> {
    private static final Comparator<Rollup> ROLLUP_ORDER = Comparator.nullsFirst(
            Comparator.comparing(Rollup::getInterval).thenComparing(Rollup::getAggregator)
                    .thenComparing(r -> Objects.toString(r.getGroupByAggregator(), "")));

    public SeriesId {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(kind, "kind");
    }

    public static SeriesId of(SeriesKey key) {
        return new SeriesId(key, PointKind.PUT, null);
    }

    @Override
    public int compareTo(SeriesId other) {
        int c = key.compareTo(other.key);
        if (c == 0) {
            c = kind.compareTo(other.kind);
        }
        return c != 0 ? c : ROLLUP_ORDER.compare(rollup, other.rollup);
    }

    @Override
    public String toString() {
        return key + (kind == PointKind.PUT ? "" : " " + kind + (rollup == null ? "" : " " + rollup.getInterval() + ":" + rollup.getAggregator()));
    }
}
