package io.rewind.archiver;

import io.rewind.archive.ArchiveLayout;
import io.rewind.archive.storage.Storage;
import io.rewind.schema.Gap;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes each gap of the gaps topic into the archive ({@link ArchiveLayout#gap}), so that the archive knows its own holes:
 * {@code rewind list} shows them and {@code rewind heal} closes them. A gap's object is named by the gap and never changes, so
 * writing it again (a task restarted from its last commit) changes nothing: exactly once in effect. A record that is not a
 * gap is counted ({@code rewind_archiver_errors_total{kind="gap"}}) and skipped.
 */
final class GapKeeper implements Processor<byte[], byte[], Void, Void> {
    private static final Logger LOG = LoggerFactory.getLogger(GapKeeper.class);

    private final ArchiverResources resources;

    GapKeeper(ArchiverResources resources) {
        this.resources = resources;
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
        Gap gap;
        try {
            gap = Gap.fromJson(record.value() == null ? new byte[0] : record.value());
        } catch (IllegalArgumentException e) {
            resources.metrics().error("gap");
            LOG.error("A record of the gaps topic {} is not a gap, skipped: {} (key {})", resources.config().gapsTopic(), e.getMessage(),
                    record.key() == null ? "none" : new String(record.key(), StandardCharsets.UTF_8));
            return;
        }
        String key = ArchiveLayout.gap(resources.config().topic(), gap.hourStartMs(), gap.id());
        Storage storage = resources.storage();
        try {
            resources.writer().retrying("keep the gap " + key, () -> {
                storage.put(key, gap.toJson());
                return null;
            });
        } catch (IOException e) {
            // The task fails and restarts from its last commit: the gap is read again, never skipped.
            throw new UncheckedIOException(e);
        }
        resources.metrics().gapsKept.increment();
        LOG.warn("The tap {} let {} points of {} in the hour from {} through without backup: kept as {}; rewind heal takes them from HBase",
                gap.tap(), gap.points(), gap.allMetrics() ? "every metric" : gap.metrics(), java.time.Instant.ofEpochMilli(gap.hourStartMs()), key);
    }
}
