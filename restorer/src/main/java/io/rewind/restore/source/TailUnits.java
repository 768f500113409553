package io.rewind.restore.source;

import io.rewind.archive.ArchiveLayout;
import io.rewind.archive.segment.SeriesId;
import io.rewind.archive.segment.SeriesPoints;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** The Kafka tail's points merged into the archive's units, so that one merge sees every version of a (series, timestamp). */
public final class TailUnits {
    private TailUnits() {
    }

    /**
     * The units with the tail's points added, each point to the unit of its partition (or the baseline's) whose window
     * holds it, so that one merge sees every version of a (series, timestamp); points no unit holds make new units of
     * {@code windowMs}.
     */
    public static List<ArchiveIndex.Unit> into(List<ArchiveIndex.Unit> units, KafkaTail.TailRead tail, String topic, long windowMs) {
        List<ArchiveIndex.Unit> out = new ArrayList<>(units);
        Map<Integer, Map<SeriesId, SeriesPoints>> byUnit = new HashMap<>();
        UnitIndex index = new UnitIndex(out);
        Map<Integer, java.util.SortedSet<Integer>> partitionsOfUnit = new HashMap<>();
        tail.series().forEach((partition, seriesMap) -> seriesMap.values().forEach(points -> {
            for (int i = 0; i < points.size(); i++) {
                long t = points.timestampMs(i);
                int unit = index.find(partition, t);
                if (unit < 0) {
                    long start = Math.floorDiv(t, windowMs) * windowMs;
                    out.add(new ArchiveIndex.Unit(ArchiveLayout.directory(topic, start, windowMs, partition), topic, start, start + windowMs,
                            partition, List.of(), List.of()));
                    unit = out.size() - 1;
                    index.add(unit);
                }
                byUnit.computeIfAbsent(unit, u -> new HashMap<>()).computeIfAbsent(points.id(), id -> new SeriesPoints(id, 8))
                        .addFrom(points, i);
                partitionsOfUnit.computeIfAbsent(unit, u -> new java.util.TreeSet<>()).add(partition);
            }
        }));
        Map<Integer, TailPosition> byPartition = new HashMap<>();
        tail.positions().forEach(p -> byPartition.put(p.partition(), p));
        byUnit.forEach((unit, seriesMap) -> {
            List<SeriesPoints> sorted = seriesMap.values().stream().map(SeriesPoints::sorted)
                    .sorted(Comparator.comparing(SeriesPoints::id)).toList();
            StringBuilder id = new StringBuilder();
            for (int partition : partitionsOfUnit.get(unit)) {
                TailPosition position = byPartition.get(partition);
                id.append(id.length() == 0 ? "" : ",").append('p').append(partition).append(':').append(position.from()).append('-')
                        .append(position.end());
            }
            out.set(unit, out.get(unit).withTail(new ArchiveIndex.UnitTail(sorted, id.toString())));
        });
        out.sort(Comparator.comparingLong(ArchiveIndex.Unit::windowStartMs).thenComparingInt(ArchiveIndex.Unit::partition));
        return out;
    }

    /** The units holding each partition's points by window start (partition -1: the baseline's, holding every partition's). */
    private record UnitIndex(List<ArchiveIndex.Unit> units, Map<Integer, TreeMap<Long, Integer>> byPartition) {
        UnitIndex(List<ArchiveIndex.Unit> units) {
            this(units, new HashMap<>());
            for (int i = 0; i < units.size(); i++) {
                add(i);
            }
        }

        void add(int i) {
            byPartition.computeIfAbsent(units.get(i).partition(), p -> new TreeMap<>()).put(units.get(i).windowStartMs(), i);
        }

        int find(int partition, long timestampMs) {
            for (int p : new int[] {partition, -1}) {
                var entry = byPartition.getOrDefault(p, new TreeMap<>()).floorEntry(timestampMs);
                if (entry != null && timestampMs < units.get(entry.getValue()).windowEndMs()) {
                    return entry.getValue();
                }
            }
            return -1;
        }
    }
}
