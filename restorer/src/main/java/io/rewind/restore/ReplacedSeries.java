package io.rewind.restore;

import io.rewind.archive.segment.SeriesId;
import io.rewind.archive.storage.Storage;
import io.rewind.restore.plan.Transforms;
import io.rewind.restore.source.ArchiveIndex;
import io.rewind.restore.source.SelectionReader;
import io.rewind.schema.PointKind;
import io.rewind.schema.Rollup;
import io.rewind.schema.SeriesKey;
import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.stream.Collectors;

/**
 * What a restore that replaces the target's series refuses (guarantee 12: nothing is deleted on a guess). Each
 * (window, partition) of the range is all the archive holds of its series there, so a replacing restore reads every series
 * the selection names in it ({@link SelectionReader} with empty series), one with no point in the range empty, even when
 * the unit holds no point in the range at all: its span is replaced too. And since each batch deletes, in the span of each
 * of its series, what it does not restore, two archived series that the transforms map onto one target series would
 * delete each other's points: such a restore is refused before anything is written.
 */
public final class ReplacedSeries {
    private ReplacedSeries() {
    }

    /** A series as the target stores it. */
    private record Output(String metric, SortedMap<String, String> tags, PointKind kind, Rollup rollup) {
        static Output of(SeriesId id, Transforms transforms) {
            return new Output(transforms.metric(id.key().metric()), transforms.tags(id.key().tags()), id.kind(), id.rollup());
        }
    }

    /**
     * Refuses a plan that replaces when its transforms map two series the archive holds in the selection (with points in
     * the range or not: an empty one replaces its span too) onto one target series, naming the options that do it. Reads
     * the selection once, before anything is written; nothing to read when no transform can merge series.
     *
     * @throws IllegalArgumentException naming the two series, the target series and the options
     */
    public static void refuseMerges(Storage storage, RestorePlan plan, Transforms transforms) throws IOException, InterruptedException {
        if (!plan.replaces() || !transforms.canMergeSeries()) {
            return;
        }
        Map<Output, SeriesId> firstInput = new HashMap<>();
        SelectionReader reader = new SelectionReader(storage, plan.selection(), true);
        for (ArchiveIndex.Unit unit : plan.units()) {
            reader.read(unit, series -> {
                Output output = Output.of(series.id(), transforms);
                SeriesId other = firstInput.putIfAbsent(output, series.id());
                if (other != null && !other.equals(series.id())) {
                    throw new IllegalArgumentException(refusal(other.key(), series.id().key(), output, transforms));
                }
            });
        }
    }

    private static String refusal(SeriesKey a, SeriesKey b, Output output, Transforms transforms) {
        List<String> options = transforms.merging(a, b);
        return "--replace cannot restore two series into one: " + (options.isEmpty() ? "the transforms" : String.join(" and ", options))
                + (options.size() > 1 ? " map " : " maps ") + name(a.metric(), a.tags()) + " and " + name(b.metric(), b.tags())
                + " onto " + name(output.metric(), output.tags()) + ", and the span each replaces would delete the other's points."
                + " Map them apart (or select only one of them), or restore without --replace.";
    }

    private static String name(String metric, SortedMap<String, String> tags) {
        return metric + tags.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(",", "{", "}"));
    }
}
