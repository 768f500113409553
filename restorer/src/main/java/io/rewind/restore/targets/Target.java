package io.rewind.restore.targets;

import io.rewind.archive.RateLimit;
import java.io.IOException;

/** Where a restore's batches go; called by several senders at once. */
public interface Target {
    /** Stores one batch; returns how many of its points the target refused. */
    int write(Batch batch) throws IOException, InterruptedException;

    /** How many writes were retried. */
    long retries();

    /**
     * The target, at most {@code limit} points per second over all senders (a token bucket shared by them): a restore
     * into a cluster that serves live traffic. Each batch waits for its points' tokens before it is written.
     */
    static Target limited(Target target, RateLimit limit) {
        if (!limit.limited()) {
            return target;
        }
        return new Target() {
            @Override
            public int write(Batch batch) throws IOException, InterruptedException {
                limit.acquire(batch.points());
                return target.write(batch);
            }

            @Override
            public long retries() {
                return target.retries();
            }
        };
    }
}
