package io.rewind.tap.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.rewind.devstack.process.Await;
import io.rewind.schema.Gap;
import io.rewind.schema.Point;
import io.rewind.schema.PointKind;
import io.rewind.schema.TimestampPrecision;
import io.rewind.schema.wire.SingleObjectWireFormat;
import io.rewind.tap.metrics.TapMetrics;
import io.rewind.tap.record.PointEncoder;
import io.rewind.tap.record.PointRecord;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.NetworkException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The tap's record of what it let through without backup: kept over a restart, bounded, published once Kafka answers. */
@Timeout(60)
class GapRecorderTest {
    private static final long HOUR = Gap.HOUR_MS;
    private static final long T0 = 1_764_900_000_000L / HOUR * HOUR;

    @TempDir
    Path dir;

    private final SingleObjectWireFormat<Point> format = new SingleObjectWireFormat<>(Point.class);
    private final PointEncoder encoder = new PointEncoder(format);
    private final TapMetrics metrics = new TapMetrics(new SimpleMeterRegistry());

    GapRecorderTest() {
        encoder.prepare();
    }

    @Test
    void gapsRecordedWhileKafkaIsAwaySurviveARestartAndArePublishedOnceKafkaAnswers() throws Exception {
        try (GapRecorder gaps = open(1000)) {
            // A backfill: the hour is the points' own, not the hour they arrived in.
            gaps.missed(List.of(point("sys.cpu", T0 + 5), point("sys.cpu", T0 + 6), point("sys.mem", T0 + HOUR + 1)), "spool-full");
            gaps.missed(List.of(point("sys.mem", T0 - 3 * HOUR)), "stopped");
            assertThat(gaps.openMetricHours()).as("sys.cpu at T0, sys.mem an hour later and three hours before").isEqualTo(3);
        }
        MockProducer<byte[], byte[]> kafka = producer(true);
        try (GapRecorder reopened = open(1000)) {
            assertThat(reopened.openMetricHours()).as("the gaps kept in the spool directory").isEqualTo(3);
            reopened.publishTo(kafka, "points-gaps", () -> true);
            Await.until("the gaps are published", Duration.ofSeconds(10), () -> { }, () -> reopened.openMetricHours() == 0);
        }
        List<Gap> published = kafka.history().stream().map(r -> Gap.fromJson(r.value())).toList();
        assertThat(published).extracting(Gap::hourStartMs).containsExactly(T0 - 3 * HOUR, T0, T0 + HOUR);
        assertThat(published).extracting(Gap::metrics).containsExactly(List.of("sys.mem"), List.of("sys.cpu"), List.of("sys.mem"));
        assertThat(published).extracting(Gap::points).containsExactly(1L, 2L, 1L);
        assertThat(published.get(0).reasons()).isEqualTo(Map.of("stopped", 1L));
        assertThat(published).extracting(Gap::seq).doesNotHaveDuplicates();
        assertThat(kafka.history()).extracting(ProducerRecord::topic).containsOnly("points-gaps");
        assertThat(kafka.history()).extracting(r -> new String(r.key())).containsExactlyElementsOf(published.stream().map(Gap::id).toList());
        try (GapRecorder again = open(1000)) {
            assertThat(again.openMetricHours()).as("a gap Kafka acknowledged is not published twice").isZero();
        }
    }

    @Test
    void pastItsBoundAnHoursGapCoversEveryMetric() throws Exception {
        MockProducer<byte[], byte[]> kafka = producer(true);
        AtomicBoolean ready = new AtomicBoolean(false);
        try (GapRecorder gaps = open(2)) {
            gaps.publishTo(kafka, "points-gaps", ready::get);
            gaps.missed(List.of(point("a", T0), point("b", T0), point("c", T0), point("a", T0 + HOUR)), "spool-full");
            assertThat(gaps.openMetricHours()).as("one hour of every metric, one of metric a").isEqualTo(2);
            ready.set(true);
            Await.until("the gaps are published", Duration.ofSeconds(10), () -> { }, () -> gaps.openMetricHours() == 0);
        }
        List<Gap> published = kafka.history().stream().map(r -> Gap.fromJson(r.value())).toList();
        assertThat(published.get(0).allMetrics()).isTrue();
        assertThat(published.get(0).metrics()).isEmpty();
        assertThat(published.get(0).points()).isEqualTo(3);
        assertThat(published.get(1).allMetrics()).isFalse();
        assertThat(published.get(1).metrics()).containsExactly("a");
    }

    @Test
    void aGapKafkaDidNotAcknowledgeIsSentAgainUnderTheSameName() throws Exception {
        MockProducer<byte[], byte[]> kafka = producer(false);
        try (GapRecorder gaps = open(1000)) {
            gaps.missed(List.of(point("sys.cpu", T0)), "spool-full");
            gaps.publishTo(kafka, "points-gaps", () -> true);
            Await.until("the gap is sent", Duration.ofSeconds(10), () -> { }, () -> kafka.history().size() == 1);
            kafka.errorNext(new NetworkException("the broker went away"));
            Await.until("the gap is sent again", Duration.ofSeconds(20), () -> { }, () -> kafka.history().size() == 2);
            assertThat(gaps.openMetricHours()).as("not acknowledged yet").isEqualTo(1);
            kafka.completeNext();
            Await.until("the gap is acknowledged", Duration.ofSeconds(10), () -> { }, () -> gaps.openMetricHours() == 0);
        }
        assertThat(kafka.history()).extracting(r -> new String(r.key())).containsOnly(new String(kafka.history().get(0).key()));
    }

    @Test
    void anUnreadableGapsFileIsSetAsideAndTheTapStartsAllTheSame() throws Exception {
        java.nio.file.Files.writeString(dir.resolve(GapRecorder.FILE), "{\"instance\": \"torn");
        try (GapRecorder gaps = open(1000)) {
            assertThat(gaps.openMetricHours()).isZero();
            gaps.missed(List.of(point("sys.cpu", T0)), "spool-full");
            assertThat(gaps.openMetricHours()).isEqualTo(1);
        }
        try (java.util.stream.Stream<Path> files = java.nio.file.Files.list(dir)) {
            assertThat(files.map(f -> f.getFileName().toString())).anyMatch(n -> n.startsWith(GapRecorder.FILE + ".unreadable-"));
        }
        try (GapRecorder reopened = open(1000)) {
            assertThat(reopened.openMetricHours()).as("the new file keeps what came after").isEqualTo(1);
        }
    }

    @Test
    void aGapNamesTheKindsOfItsPointsSoThatHealKnowsWhatItCannotReadBack() throws Exception {
        MockProducer<byte[], byte[]> kafka = producer(true);
        Point histogram = Point.newBuilder().setMetric("latency").setTimestampMs(T0).setPrecision(TimestampPrecision.MILLISECONDS)
                .setValue(null).setTags(Map.of("host", "a")).setKind(PointKind.HISTOGRAM)
                .setHistogram(io.rewind.schema.Histogram.newBuilder().setBuckets(List.of()).build()).build();
        try (GapRecorder gaps = open(1000)) {
            gaps.missed(List.of(point("sys.cpu", T0), encoder.encode(histogram, T0)), "spool-full");
            gaps.publishTo(kafka, "points-gaps", () -> true);
            Await.until("the gap is published", Duration.ofSeconds(10), () -> { }, () -> gaps.openMetricHours() == 0);
        }
        Gap gap = Gap.fromJson(kafka.history().get(0).value());
        assertThat(gap.kinds()).containsExactly(PointKind.PUT, PointKind.HISTOGRAM);
        assertThat(gap.healable()).isFalse();
    }

    private GapRecorder open(int maxMetricsPerHour) throws Exception {
        return GapRecorder.open(dir, "tap-a", format.header().length, maxMetricsPerHour, metrics);
    }

    private PointRecord point(String metric, long timestampMs) {
        Point point = Point.newBuilder().setMetric(metric).setTimestampMs(timestampMs).setPrecision(TimestampPrecision.MILLISECONDS)
                .setValue(1L).setTags(Map.of("host", "a")).setKind(PointKind.PUT).build();
        return encoder.encode(point, T0 + 7 * HOUR);
    }

    private static MockProducer<byte[], byte[]> producer(boolean autoComplete) {
        return new MockProducer<>(autoComplete, null, new ByteArraySerializer(), new ByteArraySerializer());
    }
}
