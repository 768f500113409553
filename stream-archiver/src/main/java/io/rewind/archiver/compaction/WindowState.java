package io.rewind.archiver.compaction;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * What a task still has to do for one of its windows, kept in a changelogged store so that it
 * survives crashes and moves with the task: compact it (new parts were written since its last
 * segment), and delete the files its segment superseded, once {@code deleteAtMs} has passed.
 * Written when a window first gets points and when a compaction or deletion finishes: a few records
 * per window, never one per point.
 */
public record WindowState(boolean compact, long deleteAtMs, List<String> toDelete) {
    public static final WindowState NEW_PARTS = new WindowState(true, 0, List.of());

    public WindowState {
        toDelete = List.copyOf(toDelete);
    }

    public WindowState withNewParts() {
        return compact ? this : new WindowState(true, deleteAtMs, toDelete);
    }

    /** After a compaction: the superseded files are deleted at the given time, and new parts are waited for again only if some came meanwhile. */
    public WindowState compacted(boolean newPartsMeanwhile, long deleteAt, List<String> superseded) {
        Set<String> all = new LinkedHashSet<>(toDelete);
        all.addAll(superseded);
        return new WindowState(newPartsMeanwhile, all.isEmpty() ? 0 : deleteAt, new ArrayList<>(all));
    }

    public WindowState deleted(List<String> paths) {
        List<String> left = new ArrayList<>(toDelete);
        left.removeAll(paths);
        return new WindowState(compact, left.isEmpty() ? 0 : deleteAtMs, left);
    }

    /** Nothing left to do: the window's entry can go. */
    public boolean done() {
        return !compact && toDelete.isEmpty();
    }

    public String encode() {
        StringBuilder out = new StringBuilder().append(compact ? "compact" : "compacted").append(' ').append(deleteAtMs);
        toDelete.forEach(path -> out.append('\n').append(path));
        return out.toString();
    }

    public static WindowState decode(String text) {
        List<String> lines = Arrays.asList(text.split("\n"));
        String[] head = lines.get(0).split(" ");
        return new WindowState(head[0].equals("compact"), Long.parseLong(head[1]), lines.subList(1, lines.size()));
    }
}
