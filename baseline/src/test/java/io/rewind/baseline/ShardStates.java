package io.rewind.baseline;

import io.rewind.archive.Shard;
import io.rewind.archive.storage.local.LocalStorage;
import io.rewind.opentsdb.StorageLayout;
import io.rewind.opentsdb.hbase.KeyRange;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** Shard states of baseline 'tsdb' of topic 'points' as finished runs leave them, for the tests of 'baseline --status'. */
public final class ShardStates {
    private ShardStates() {
    }

    /** Shard {@code shard} of {@code shards} complete, having read {@code done}, of the cluster with id {@code cluster}. */
    public static void complete(Path archive, int shard, int shards, List<KeyRange> done, String cluster) throws IOException {
        try (LocalStorage storage = new LocalStorage(archive)) {
            BaselineState state = BaselineState.fresh("points", "tsdb", shard, shards);
            state.bind(new BaselineRequest(cluster, "tsdb", "0", 0, null, Long.MAX_VALUE, List.of()));
            state.wanted = List.of(KeyRange.ALL);
            state.done.addAll(done);
            state.completedMs = 1;
            state.save(storage);
        }
    }

    /** The key ranges shard {@code shard} of {@code shards} reads of the whole table. */
    public static List<KeyRange> ranges(StorageLayout layout, int shards, int shard) {
        return new ShardKeySpace(layout, shards).ranges(shard);
    }
}
