package io.rewind.archive.segment;

import io.rewind.schema.FileKind;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * Which files of one (window, partition) hold its data: a segment supersedes the parts (and older
 * segments) its header names; every other file is live. A part written after its window was compacted
 * is therefore live next to the segment (guarantee 3), and live files may overlap where a crash left
 * an orphan part: the merge reads each version once (guarantee 2). The restorer reads the live files;
 * the archiver compacts them into the next segment and deletes the superseded ones.
 */
public final class Supersession {
    private Supersession() {
    }

    /** The paths some file's header says it supersedes. */
    public static <T> Set<String> superseded(Collection<T> files, Function<T, List<String>> supersedes) {
        Set<String> superseded = new HashSet<>();
        for (T file : files) {
            superseded.addAll(supersedes.apply(file));
        }
        return superseded;
    }

    /** The files no other file supersedes, in their given order. */
    public static <T> List<T> live(List<T> files, Function<T, String> path, Function<T, List<String>> supersedes) {
        Set<String> superseded = superseded(files, supersedes);
        return files.stream().filter(f -> !superseded.contains(path.apply(f))).toList();
    }

    /**
     * The files no published file supersedes, in their given order: a file without its sidecar is one whose publication did
     * not finish (or whose sidecar was lost), so its header supersedes nothing, and the files it names stay live.
     */
    public static <T> List<T> live(List<T> files, Function<T, String> path, Predicate<T> published,
            Function<T, SegmentMetadata> header) {
        return live(files, path, f -> published.test(f) ? header.apply(f).supersedes() : List.of());
    }

    /**
     * Of the unpublished archiver files (no sidecar) among {@code files}, every file listed (live or superseded), those whose
     * points checked files of the list hold:
     * <ul>
     *   <li>a file whose whole offset range the published files of its own window and partition cover together: every
     *       archiver file holds each point of its window read in its offset range, so all of its points are in those files
     *       (a crash's orphan, a part whose sidecar was cut off);</li>
     *   <li>a segment every file of which its header names (what it merged) is in the list, published or itself covered:
     *       it holds what they hold, whatever gaps their offsets leave.</li>
     * </ul>
     * An unpublished file not covered may hold points no checked file holds. Windows are told apart, because one commit
     * writes a part of the same offset range for each window it read.
     */
    public static <T> Set<T> coveredUnpublished(List<T> files, Function<T, String> path, Predicate<T> published,
            Function<T, SegmentMetadata> header) {
        Map<String, java.util.TreeMap<Long, Long>> ranges = new HashMap<>();
        for (T file : files) {
            SegmentMetadata h = header.apply(file);
            if (published.test(file) && h.kind() != FileKind.BASELINE && h.firstOffset() >= 0) {
                ranges.computeIfAbsent(window(h), w -> new java.util.TreeMap<>()).merge(h.firstOffset(), h.lastOffset(), Math::max);
            }
        }
        Set<T> covered = new HashSet<>();
        for (T file : files) {
            SegmentMetadata h = header.apply(file);
            if (!published.test(file) && h.kind() != FileKind.BASELINE && h.firstOffset() >= 0
                    && covers(ranges.getOrDefault(window(h), new java.util.TreeMap<>()), h.firstOffset(), h.lastOffset())) {
                covered.add(file);
            }
        }
        Map<String, T> byPath = new HashMap<>();
        files.forEach(f -> byPath.put(path.apply(f), f));
        for (T file : files) {
            SegmentMetadata h = header.apply(file);
            if (!published.test(file) && h.kind() == FileKind.SEGMENT && !h.supersedes().isEmpty()
                    && h.supersedes().stream().map(byPath::get).allMatch(f -> f != null && f != file
                            && (published.test(f) || covered.contains(f)))) {
                covered.add(file);
            }
        }
        return covered;
    }

    private static String window(SegmentMetadata h) {
        return h.topic() + "/" + h.partition() + "/" + h.windowStartMs();
    }

    /** Whether the ranges (start to end, inclusive) together hold every offset of [first, last]. */
    private static boolean covers(java.util.TreeMap<Long, Long> ranges, long first, long last) {
        long next = first; // the first offset not yet known to be covered
        for (Map.Entry<Long, Long> range : ranges.entrySet()) {
            if (range.getKey() > next) {
                break;
            }
            next = Math.max(next, range.getValue() + 1);
            if (next > last) {
                return true;
            }
        }
        return next > last;
    }
}
