package io.rewind.restore.plan;

import io.rewind.archive.Shard;
import io.rewind.archive.segment.SeriesId;
import io.rewind.schema.SeriesKey;
import io.rewind.service.TimeArgs;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * What a restore or an export takes from the archive: event time in {@code [fromMs, toMs)}, the archive
 * as it was at ingest time {@code asOfMs} (guarantee 4; {@link Long#MAX_VALUE} for the latest), and the
 * series whose metric matches one of the metric patterns (none: every metric) and whose tags match
 * every tag filter. Patterns are exact names or globs ({@code *}, {@code ?}); a tag filter's value
 * {@code *} asks only that the tag be present. Of those series, only the shard's ({@link Shard#owns}; the restore's
 * {@code --shard}): N restores of the N shards write disjoint series, whose union is the selection's.
 */
public record Selection(long fromMs, long toMs, long asOfMs, List<String> metrics, Map<String, String> tags, Shard shard) {

    /** A selection of every shard. */
    public Selection(long fromMs, long toMs, long asOfMs, List<String> metrics, Map<String, String> tags) {
        this(fromMs, toMs, asOfMs, metrics, tags, Shard.ALL);
    }

    public Selection {
        if (fromMs >= toMs) {
            throw new IllegalArgumentException("the time range is empty: --from " + TimeArgs.format(fromMs)
                    + " is not before --to " + TimeArgs.format(toMs));
        }
        metrics = List.copyOf(metrics);
        tags = Map.copyOf(tags);
        shard = shard == null ? Shard.ALL : shard;
    }

    /** This selection, of one shard only. */
    public Selection ofShard(Shard only) {
        return new Selection(fromMs, toMs, asOfMs, metrics, tags, only);
    }

    private static final class Compiled {
        final List<Pattern> metrics = new ArrayList<>();
        final List<Map.Entry<String, Pattern>> tags = new ArrayList<>();
    }

    /** The series predicate, compiled once. */
    public Predicate<SeriesId> seriesFilter() {
        Compiled c = new Compiled();
        metrics.forEach(m -> c.metrics.add(glob(m)));
        tags.forEach((k, v) -> c.tags.add(Map.entry(k, glob(v))));
        return id -> {
            SeriesKey key = id.key();
            if (!c.metrics.isEmpty() && c.metrics.stream().noneMatch(p -> p.matcher(key.metric()).matches())) {
                return false;
            }
            for (Map.Entry<String, Pattern> tag : c.tags) {
                String value = key.tags().get(tag.getKey());
                if (value == null || !tag.getValue().matcher(value).matches()) {
                    return false;
                }
            }
            return shard.owns(key);
        };
    }

    /** Whether the selection can hold points of this metric (its --metric patterns; tags aside). */
    public boolean selectsMetric(String metric) {
        return metrics.isEmpty() || metrics.stream().anyMatch(m -> glob(m).matcher(metric).matches());
    }

    public boolean inRange(long timestampMs) {
        return timestampMs >= fromMs && timestampMs < toMs;
    }

    /** Whether an interval {@code [startMs, endMs]} (inclusive) can hold points of the range. */
    public boolean overlaps(long startMs, long endMs) {
        return startMs < toMs && endMs >= fromMs;
    }

    static Pattern glob(String glob) {
        StringBuilder regex = new StringBuilder();
        StringBuilder literal = new StringBuilder();
        for (char ch : glob.toCharArray()) {
            if (ch == '*' || ch == '?') {
                if (literal.length() > 0) {
                    regex.append(Pattern.quote(literal.toString()));
                    literal.setLength(0);
                }
                regex.append(ch == '*' ? ".*" : ".");
            } else {
                literal.append(ch);
            }
        }
        if (literal.length() > 0) {
            regex.append(Pattern.quote(literal.toString()));
        }
        return Pattern.compile(regex.toString(), Pattern.DOTALL);
    }
}
