package io.rewind.schema;

import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** One point of every kind Rewind must carry without loss. */
public final class SamplePoints {
    private SamplePoints() {
    }

    public static List<Point> everyKind() {
        Map<String, String> eightTags = new LinkedHashMap<>();
        for (int i = 8; i >= 1; i--) {
            eightTags.put("tag" + i, "value" + i);
        }
        return List.of(
                put("sys.cpu.user", 1_763_726_400_000L, TimestampPrecision.SECONDS, 42L, Map.of("host", "web01", "dc", "lga")),
                put("sys.cpu.user", 1_763_726_400_123L, TimestampPrecision.MILLISECONDS, 42.5d, Map.of("host", "web01")),
                put("sys.mem.free", 1_763_726_400_000L, TimestampPrecision.SECONDS, Long.MIN_VALUE, Map.of("host", "web01")),
                put("sys.mem.free", 1_763_726_400_000L, TimestampPrecision.SECONDS, -0.0d, Map.of("host", "web01")),
                put("température.salle", 1_763_726_400_000L, TimestampPrecision.SECONDS, 21.25d, Map.of("bâtiment", "Zürich-Ω")),
                put("many.tags", 1_763_726_400_000L, TimestampPrecision.SECONDS, 1L, eightTags),
                Point.newBuilder()
                        .setMetric("sys.if.bytes").setTimestampMs(1_763_726_400_000L).setPrecision(TimestampPrecision.SECONDS)
                        .setValue(3600L).setTags(Map.of("host", "web01")).setKind(PointKind.ROLLUP)
                        .setRollup(Rollup.newBuilder().setInterval("1h").setAggregator("SUM").setGroupByAggregator("MAX").build())
                        .build(),
                Point.newBuilder()
                        .setMetric("http.latency").setTimestampMs(1_763_726_400_000L).setPrecision(TimestampPrecision.SECONDS)
                        .setTags(Map.of("host", "web01")).setKind(PointKind.HISTOGRAM)
                        .setHistogram(Histogram.newBuilder()
                                .setBuckets(List.of(new HistogramBucket(0d, 1.75d, 12L), new HistogramBucket(1.75d, 3.5d, 7L)))
                                .setUnderflow(0L).setOverflow(1L).build())
                        .build(),
                Point.newBuilder()
                        .setMetric("http.latency").setTimestampMs(1_763_726_460_000L).setPrecision(TimestampPrecision.SECONDS)
                        .setTags(Map.of("host", "web02")).setKind(PointKind.HISTOGRAM)
                        .setHistogram(Histogram.newBuilder().setId(1).setEncoded(ByteBuffer.wrap(new byte[] {1, 2, 3, (byte) 0xff})).build())
                        .build());
    }

    public static Point put(String metric, long timestampMs, TimestampPrecision precision, Object value, Map<String, String> tags) {
        return Point.newBuilder()
                .setMetric(metric).setTimestampMs(timestampMs).setPrecision(precision)
                .setValue(value).setTags(new LinkedHashMap<>(tags)).setKind(PointKind.PUT)
                .build();
    }

    public static CatalogRecord catalogRecord() {
        return CatalogRecord.newBuilder()
                .setPath("v1/points/dt=2026-11-21/hour=13/p=0007/segment-0000000002.avro")
                .setKind(FileKind.SEGMENT).setTopic("points").setPartition(7)
                .setWindowStartMs(1_763_730_000_000L).setWindowEndMs(1_763_733_600_000L)
                .setFirstOffset(1000L).setLastOffset(1999L).setGeneration(2)
                .setEventTimeMinMs(1_763_730_000_000L).setEventTimeMaxMs(1_763_733_599_000L)
                .setIngestTimeMinMs(1_763_730_001_000L).setIngestTimeMaxMs(1_763_733_700_000L)
                .setPointCount(1000L).setSeriesCount(10L).setByteSize(2400L)
                .setSha256("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")
                .setSupersedes(List.of("v1/points/dt=2026-11-21/hour=13/p=0007/part-00000000000000001000-00000000000000001999.avro"))
                .build();
    }

    public static SeriesBlock seriesBlock() {
        return SeriesBlock.newBuilder()
                .setMetric("sys.cpu.user").setTags(List.of(new Tag("dc", "lga"), new Tag("host", "web01")))
                .setCount(3).setTimestamps(List.of(1_763_726_400_000L, 10_000L, 0L))
                .setMillisecondPrecision(ByteBuffer.wrap(new byte[0]))
                .setFloatingPoint(ByteBuffer.wrap(new byte[] {0b100}))
                .setIntegerValues(List.of(42L, 1L)).setFloatValues(List.of(Double.doubleToLongBits(42.5)))
                .setIngestTimes(List.of(1_763_726_400_100L, 10_050L, 9_990L))
                .build();
    }
}
