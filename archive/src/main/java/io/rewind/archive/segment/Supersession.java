package io.rewind.archive.segment;

import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

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
}
