package io.rewind.archiver.streams;

import java.util.Map;
import java.util.function.Supplier;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.StateStoreContext;
import org.apache.kafka.streams.state.internals.CacheFlushListener;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.internals.CachedStateStore;

/**
 * A state store with a hook that runs while Kafka Streams commits its task, before the task's input offsets are
 * committed: the one place, with {@link CommitForwarder}, where Rewind relies on Kafka Streams internals.
 *
 * <p>Why: Kafka Streams (4.3) has no public hook that runs before it commits a task's offsets. The public
 * {@link StateStore#flush()} and {@link StateStore#commit} run after the transaction that carries them. What does
 * run before, in every commit (by interval, on request, on rebalance and on shutdown), is the flush of the caches of
 * the task's stores, through the internal {@link CachedStateStore} interface: then Kafka Streams flushes the task's
 * producer and commits the transaction with the offsets. A store that implements it takes part in that step: its
 * {@link #beforeCommit()} runs there, and if it throws, the commit fails and the offsets stay where they were. A task
 * closed without a commit calls {@link #discard()}.
 *
 * <p>{@code PreCommitStoreIT} checks this contract against the real broker: the hook runs before the offsets of the
 * records it covers are committed, and what it forwards commits in the same transaction. The day Kafka Streams
 * changes it, that test fails, not a user's archive.
 */
public abstract class PreCommitStore implements StateStore, CachedStateStore<Void, Void> {
    private final String name;
    private boolean open;

    protected PreCommitStore(String name) {
        this.name = name;
    }

    /** Runs while the task commits, before its offsets: write what must be durable first, or throw to fail the commit. */
    protected abstract void beforeCommit();

    /** The task is closing without a commit, or its state is being reset: what the store holds will be read again. */
    protected abstract void discard();

    @Override
    public final void flushCache() {
        beforeCommit();
    }

    @Override
    public final void clearCache() {
        discard();
    }

    @Override
    public final boolean setFlushListener(CacheFlushListener<Void, Void> listener, boolean sendOldValues) {
        return false;
    }

    @Override
    public final String name() {
        return name;
    }

    @Override
    public void init(StateStoreContext context, StateStore root) {
        context.register(root, (key, value) -> {
            throw new IllegalStateException("The store " + name + " has no changelog to restore from");
        });
        open = true;
    }

    @Override
    public void close() {
        discard();
        open = false;
    }

    @Override
    public final boolean persistent() {
        return false;
    }

    @Override
    public final boolean isOpen() {
        return open;
    }

    /** Builds one store per task: no cache, no changelog (what it holds is durable in the input topic until written). */
    public static final class Builder<S extends PreCommitStore> implements StoreBuilder<S> {
        private final String name;
        private final Supplier<S> store;

        public Builder(String name, Supplier<S> store) {
            this.name = name;
            this.store = store;
        }

        @Override
        public StoreBuilder<S> withCachingEnabled() {
            return this;
        }

        @Override
        public StoreBuilder<S> withCachingDisabled() {
            return this;
        }

        @Override
        public StoreBuilder<S> withLoggingEnabled(Map<String, String> config) {
            throw new UnsupportedOperationException("The store " + name + " has no changelog: what it holds is durable in the input topic until written");
        }

        @Override
        public StoreBuilder<S> withLoggingDisabled() {
            return this;
        }

        @Override
        public S build() {
            return store.get();
        }

        @Override
        public Map<String, String> logConfig() {
            return Map.of();
        }

        @Override
        public boolean loggingEnabled() {
            return false;
        }

        @Override
        public String name() {
            return name;
        }
    }
}
