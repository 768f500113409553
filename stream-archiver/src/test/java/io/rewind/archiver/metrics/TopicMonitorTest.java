package io.rewind.archiver.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.rewind.archiver.metrics.TopicMonitor.Partition;
import io.rewind.archiver.metrics.TopicMonitor.Reading;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.common.errors.TimeoutException;
import org.junit.jupiter.api.Test;

class TopicMonitorTest {
    private static final long NOW = 1_764_000_000_000L;
    private final MeterRegistry registry = new SimpleMeterRegistry();
    private final ArchiverMetrics metrics = new ArchiverMetrics(registry);
    private final AtomicLong clock = new AtomicLong(NOW);
    private final Deque<Object> readings = new ArrayDeque<>();
    private final TopicMonitor monitor = new TopicMonitor("points", () -> {
        Object next = readings.poll();
        if (next instanceof Exception e) {
            throw e;
        }
        return (Reading) next;
    }, metrics, clock::get);

    private double gauge(String name, String partition) {
        var search = registry.get(name).tag("topic", "points");
        return (partition == null ? search : search.tag("partition", partition)).gauge().value();
    }

    @Test
    void exportsEachPartitionsNewestRecordTheAgeOfItsOldestUnarchivedRecordAndTheTopicsRetention() {
        readings.add(new Reading(7 * 86_400_000L, Map.of(0, new Partition(NOW - 1_000, NOW - 40_000), 1, new Partition(NOW - 5_000, -1))));
        monitor.poll();

        assertThat(gauge("rewind.archiver.topic.retention", null)).isEqualTo(7 * 86_400.0);
        assertThat(gauge("rewind.archiver.topic.newest.record.timestamp", "0")).isEqualTo((NOW - 1_000) / 1000.0);
        assertThat(gauge("rewind.archiver.topic.newest.record.timestamp", "1")).isEqualTo((NOW - 5_000) / 1000.0);
        assertThat(gauge("rewind.archiver.oldest.unarchived.record.age", "0")).isEqualTo(40.0);
        assertThat(gauge("rewind.archiver.oldest.unarchived.record.age", "1")).as("everything archived").isZero();
        clock.addAndGet(60_000);
        assertThat(gauge("rewind.archiver.oldest.unarchived.record.age", "0")).as("the record waits on: its age grows").isEqualTo(100.0);
    }

    @Test
    void anUnlimitedRetentionIsMinusOneAndAnEmptyPartitionHasNoNewestRecord() {
        readings.add(new Reading(-1, Map.of(0, new Partition(-1, -1))));
        monitor.poll();

        assertThat(gauge("rewind.archiver.topic.retention", null)).isEqualTo(-1);
        assertThat(registry.find("rewind.archiver.topic.newest.record.timestamp").gauges()).isEmpty();
        assertThat(gauge("rewind.archiver.oldest.unarchived.record.age", "0")).isZero();
    }

    @Test
    void whenKafkaCannotBeReadTheErrorIsCountedAndTheLastValuesStay() {
        readings.add(new Reading(3_600_000L, Map.of(0, new Partition(NOW - 1_000, NOW - 2_000))));
        readings.add(new TimeoutException("Timed out waiting for a node assignment"));
        readings.add(new IllegalStateException("anything else"));
        monitor.poll();
        monitor.poll();
        monitor.poll();

        assertThat(registry.get("rewind.archiver.errors").tag("kind", "monitor").counter().count()).isEqualTo(2);
        assertThat(gauge("rewind.archiver.topic.retention", null)).isEqualTo(3_600.0);
        assertThat(gauge("rewind.archiver.topic.newest.record.timestamp", "0")).isEqualTo((NOW - 1_000) / 1000.0);
        assertThat(gauge("rewind.archiver.oldest.unarchived.record.age", "0")).isEqualTo(2.0);
    }

    @Test
    void anUnarchivedRecordThatCouldNotBeReadInTimeLeavesTheLastAgeRatherThanClaimingAllIsArchived() {
        readings.add(new Reading(3_600_000L, Map.of(0, new Partition(NOW, NOW - 30_000))));
        readings.add(new Reading(3_600_000L, Map.of(0, new Partition(NOW, TopicMonitor.UNKNOWN))));
        monitor.poll();
        monitor.poll();

        assertThat(gauge("rewind.archiver.oldest.unarchived.record.age", "0")).isEqualTo(30.0);
    }

    @Test
    void theMonitorErrorKindIsAtZeroFromTheStartSoThatAnAlertSeesTheFirstOne() {
        assertThat(registry.get("rewind.archiver.errors").tag("kind", "monitor").counter().count()).isZero();
    }
}
