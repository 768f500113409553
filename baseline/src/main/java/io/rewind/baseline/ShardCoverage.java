package io.rewind.baseline;

import io.rewind.archive.ArchiveLayout;
import io.rewind.archive.storage.Storage;
import io.rewind.opentsdb.hbase.KeyRange;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * {@code baseline --status}: every shard's state of a baseline, read from the archive alone, and whether the key
 * ranges they have done together cover the row keys asked for. Only what a state proves counts: a state asked for
 * another time range or other metrics, or from before requests were recorded, covers nothing; shards of different
 * clusters are never one baseline.
 */
public final class ShardCoverage {
    private static final Pattern SHARD = Pattern.compile("shard-(\\d+)-of-(\\d+)\\.json$");
    private static final int SHOWN = 10;

    private ShardCoverage() {
    }

    /** Prints the report; returns whether the shards cover what was asked (false also when it cannot be shown). */
    public static boolean report(Storage storage, String topic, String name, BaselineRequest asked, PrintWriter out) throws IOException {
        List<BaselineState> states = loadAll(storage, topic, name);
        if (states.isEmpty()) {
            out.printf("Baseline '%s': no shard has a state in %s: none has run.%n", name, storage.uri());
            return false;
        }
        out.printf("Baseline '%s':%n", name);
        List<KeyRange> done = new ArrayList<>();
        List<KeyRange> wanted = null;
        Set<String> clusters = new TreeSet<>();
        Set<String> present = new TreeSet<>();
        for (BaselineState state : states) {
            present.add(state.shard + "/" + state.shards);
            String shard = String.format("  shard %d of %d: ", state.shard, state.shards);
            List<String> differs = state.request == null ? List.of() : asked.differences(state.request);
            if (state.request == null || state.wanted == null) {
                out.println(shard + "its state does not record what it was asked (an earlier version wrote it): not counted");
            } else if (!differs.isEmpty()) {
                out.println(shard + "asked for " + String.join(", ", differs) + ": not counted");
            } else if (wanted != null && !wanted.equals(state.wanted)) {
                out.println(shard + "asked for other row keys than the shards before it: not counted");
            } else {
                wanted = state.wanted;
                clusters.add(String.valueOf(state.request.clusterId()));
                done.addAll(state.done);
                out.println(shard + (state.complete() ? String.format("complete, %,d points", state.points)
                        : String.format("not complete: %d key range(s) done", state.done.size())) + ", cluster " + state.request.clusterId());
            }
        }
        states.stream().map(s -> s.shards).distinct().forEach(n -> {
            for (int i = 0; i < n; i++) {
                if (!present.contains(i + "/" + n)) {
                    out.printf("  shard %d of %d: no state: not run yet%n", i, n);
                }
            }
        });
        if (clusters.size() > 1) {
            out.println("Not covered: the shards read different clusters (" + String.join(", ", clusters) + "): name each cluster's"
                    + " baseline with its own --name.");
            return false;
        }
        if (wanted == null) {
            out.println("Not covered: no shard's state shows what it read for this command line.");
            return false;
        }
        List<KeyRange> left = new ArrayList<>();
        for (KeyRange w : wanted) {
            left.addAll(w.minus(done));
        }
        if (left.isEmpty()) {
            out.println("The shards together cover every key range asked for.");
            return true;
        }
        out.printf("Not covered: %d key range(s) asked for are read by no shard (run the shards above that are not complete):%n",
                left.size());
        left.stream().limit(SHOWN).forEach(r -> out.println("  " + r));
        if (left.size() > SHOWN) {
            out.printf("  ... and %d more%n", left.size() - SHOWN);
        }
        return false;
    }

    /** Every shard's state of the baseline, whatever its number of shards, in order of shards, then shard. */
    static List<BaselineState> loadAll(Storage storage, String topic, String name) throws IOException {
        List<BaselineState> states = new ArrayList<>();
        try (Stream<Storage.ObjectInfo> listed = storage.list(ArchiveLayout.baselineStates(topic) + name + "/")) {
            for (Storage.ObjectInfo info : listed.filter(o -> ArchiveLayout.isBaselineState(o.key())).toList()) {
                Matcher m = SHARD.matcher(info.key());
                if (m.find()) {
                    BaselineState.load(storage, topic, name, Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2))).ifPresent(states::add);
                }
            }
        }
        states.sort(Comparator.<BaselineState>comparingInt(s -> s.shards).thenComparingInt(s -> s.shard));
        return states;
    }
}
