package io.rewind.archiver.buffer;

import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.streams.state.StoreBuilder;

/** Builds one {@link PartBuffer} per task: no cache, no changelog, whatever is asked. */
public final class PartBufferBuilder implements StoreBuilder<PartBuffer> {
    private final String name;
    private final long windowSizeMs;
    private final AtomicLong instanceBytes;

    public PartBufferBuilder(String name, long windowSizeMs, AtomicLong instanceBytes) {
        this.name = name;
        this.windowSizeMs = windowSizeMs;
        this.instanceBytes = instanceBytes;
    }

    @Override
    public StoreBuilder<PartBuffer> withCachingEnabled() {
        return this;
    }

    @Override
    public StoreBuilder<PartBuffer> withCachingDisabled() {
        return this;
    }

    @Override
    public StoreBuilder<PartBuffer> withLoggingEnabled(Map<String, String> config) {
        throw new UnsupportedOperationException("The part buffer has no changelog: its points are durable in the input topic until written");
    }

    @Override
    public StoreBuilder<PartBuffer> withLoggingDisabled() {
        return this;
    }

    @Override
    public PartBuffer build() {
        return new PartBuffer(name, windowSizeMs, instanceBytes);
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
