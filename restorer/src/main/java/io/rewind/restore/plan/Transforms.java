package io.rewind.restore.plan;

import io.rewind.schema.SeriesKey;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * What a staging replay changes on the way to the target: metric renames by pattern (the first rule
 * whose pattern matches the whole metric applies; {@code $1} refers to its groups), tags set or
 * overwritten, tags dropped, and a time shift. {@link #NONE} changes nothing.
 */
public final class Transforms {
    public static final Transforms NONE = new Transforms(List.of(), Map.of(), Set.of(), 0);

    private final List<Rename> renames;
    private final Map<String, String> setTags;
    private final Set<String> dropTags;
    private final long shiftMs;

    public Transforms(List<String> renameRules, Map<String, String> setTags, Set<String> dropTags, long shiftMs) {
        this.renames = new ArrayList<>();
        for (String rule : renameRules) {
            renames.add(Rename.parse(rule));
        }
        this.setTags = Map.copyOf(setTags);
        this.dropTags = Set.copyOf(dropTags);
        this.shiftMs = shiftMs;
    }

    private record Rename(String rule, Pattern pattern, String replacement) {
        static Rename parse(String rule) {
            int eq = rule.lastIndexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("--rename-metric '" + rule + "' is not PATTERN=REPLACEMENT, e.g. 'sys\\.(.*)=staging.sys.$1'");
            }
            try {
                return new Rename(rule, Pattern.compile(rule.substring(0, eq)), rule.substring(eq + 1));
            } catch (PatternSyntaxException e) {
                throw new IllegalArgumentException("--rename-metric '" + rule + "': " + e.getDescription() + " in the pattern");
            }
        }
    }

    public boolean isIdentity() {
        return renames.isEmpty() && setTags.isEmpty() && dropTags.isEmpty() && shiftMs == 0;
    }

    /** Whether two series can come out as one: a rename, a tag set or a tag dropped can map distinct series together; a shift cannot. */
    public boolean canMergeSeries() {
        return !renames.isEmpty() || !setTags.isEmpty() || !dropTags.isEmpty();
    }

    /**
     * The options that map two distinct series onto one, as given on the command line: the {@code --rename-metric} rules
     * that renamed either metric, and the {@code --drop-tag} or {@code --set-tag} of each tag where they differ.
     */
    public List<String> merging(SeriesKey a, SeriesKey b) {
        Set<String> options = new LinkedHashSet<>();
        if (!a.metric().equals(b.metric())) {
            for (String metric : List.of(a.metric(), b.metric())) {
                renames.stream().filter(r -> r.pattern.matcher(metric).matches()).findFirst()
                        .ifPresent(r -> options.add("--rename-metric '" + r.rule + "'"));
            }
        }
        Set<String> keys = new TreeSet<>(a.tags().keySet());
        keys.addAll(b.tags().keySet());
        for (String key : keys) {
            if (!Objects.equals(a.tags().get(key), b.tags().get(key))) {
                if (dropTags.contains(key)) {
                    options.add("--drop-tag " + key);
                } else if (setTags.containsKey(key)) {
                    options.add("--set-tag " + key + "=" + setTags.get(key));
                }
            }
        }
        return List.copyOf(options);
    }

    public long shiftMs() {
        return shiftMs;
    }

    public String metric(String metric) {
        for (Rename rename : renames) {
            Matcher m = rename.pattern.matcher(metric);
            if (m.matches()) {
                return m.replaceFirst(rename.replacement);
            }
        }
        return metric;
    }

    public SortedMap<String, String> tags(SortedMap<String, String> tags) {
        if (setTags.isEmpty() && dropTags.isEmpty()) {
            return tags;
        }
        SortedMap<String, String> out = new TreeMap<>(tags);
        out.keySet().removeAll(dropTags);
        out.putAll(setTags);
        return out;
    }

    public long timestampMs(long timestampMs) {
        return timestampMs + shiftMs;
    }

    /** A shift of a second-precision point must stay whole seconds, so the target stores the same cell kind. */
    public void checkShiftKeepsSeconds() {
        if (shiftMs % 1000 != 0) {
            throw new IllegalArgumentException("--time-shift must be whole seconds, so that points written in seconds stay in seconds");
        }
    }
}
