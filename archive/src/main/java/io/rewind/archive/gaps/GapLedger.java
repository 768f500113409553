package io.rewind.archive.gaps;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.rewind.archive.ArchiveLayout;
import io.rewind.archive.storage.Storage;
import io.rewind.schema.Gap;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * The archive's own record of its holes: the gaps the taps published (kept by the archiver) and the records of gaps healed
 * ({@code rewind heal}), by hour. A gap is open until a record of its hour names it as healed.
 */
public final class GapLedger {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final TreeMap<Long, Hour> hours;
    private final List<String> unreadable;

    /** One hour's gaps: those still open and those healed, with the baselines that healed them. */
    public record Hour(long hourStartMs, List<Gap> open, List<Gap> healed, List<String> healedBy) {
        /** The metrics a heal of this hour reads: every metric when a gap covers them all (then empty, with {@link #allMetrics}). */
        public List<String> openMetrics() {
            TreeSet<String> metrics = new TreeSet<>();
            open.forEach(g -> metrics.addAll(g.metrics()));
            return allMetrics() ? List.of() : List.copyOf(metrics);
        }

        public boolean allMetrics() {
            return open.stream().anyMatch(Gap::allMetrics);
        }

        public long openPoints() {
            return open.stream().mapToLong(Gap::points).sum();
        }
    }

    private GapLedger(TreeMap<Long, Hour> hours, List<String> unreadable) {
        this.hours = hours;
        this.unreadable = unreadable;
    }

    /** Reads every gap and every record of gaps healed of the topic. */
    public static GapLedger read(Storage storage, String topic) throws IOException {
        TreeMap<Long, List<Gap>> gaps = new TreeMap<>();
        TreeMap<Long, Set<String>> healedIds = new TreeMap<>();
        TreeMap<Long, List<String>> healers = new TreeMap<>();
        List<String> unreadable = new ArrayList<>();
        List<String> keys;
        try (Stream<Storage.ObjectInfo> listing = storage.list(ArchiveLayout.gaps(topic))) {
            keys = listing.map(Storage.ObjectInfo::key).filter(ArchiveLayout::isGapRecord).toList();
        }
        for (String key : keys) {
            byte[] bytes;
            try (InputStream in = storage.get(key)) {
                bytes = in.readAllBytes();
            }
            String name = key.substring(key.lastIndexOf('/') + 1);
            try {
                if (name.startsWith("gap-")) {
                    Gap gap = Gap.fromJson(bytes);
                    gaps.computeIfAbsent(gap.hourStartMs(), h -> new ArrayList<>()).add(gap);
                } else {
                    JsonNode healed = JSON.readTree(bytes);
                    long hour = healed.get("hourStartMs").asLong();
                    healed.get("gaps").forEach(id -> healedIds.computeIfAbsent(hour, h -> new HashSet<>()).add(id.asText()));
                    healers.computeIfAbsent(hour, h -> new ArrayList<>()).add(healed.get("baseline").asText());
                }
            } catch (IOException | RuntimeException e) {
                unreadable.add(key + ": " + e.getMessage());
            }
        }
        TreeMap<Long, Hour> hours = new TreeMap<>();
        gaps.forEach((hour, list) -> {
            Set<String> healed = healedIds.getOrDefault(hour, Set.of());
            hours.put(hour, new Hour(hour, list.stream().filter(g -> !healed.contains(g.id())).toList(),
                    list.stream().filter(g -> healed.contains(g.id())).toList(), healers.getOrDefault(hour, List.of())));
        });
        return new GapLedger(hours, unreadable);
    }

    /** Every hour with a gap, open or healed, in order. */
    public Collection<Hour> hours() {
        return hours.values();
    }

    /** The hours with a gap still open, in order. */
    public List<Hour> open() {
        return hours.values().stream().filter(h -> !h.open().isEmpty()).toList();
    }

    /** The hours of {@code [fromMs, toMs)} with a gap still open. */
    public List<Hour> open(long fromMs, long toMs) {
        return open().stream().filter(h -> h.hourStartMs() + Gap.HOUR_MS > fromMs && h.hourStartMs() < toMs).toList();
    }

    /** Gap objects that could not be read, each with why. */
    public List<String> unreadable() {
        return unreadable;
    }

    /** Records that the baseline {@code baseline} took these gaps of their hour from HBase into the archive. */
    public static void markHealed(Storage storage, String topic, Hour hour, String baseline, long healedMs) throws IOException {
        ObjectNode json = JSON.createObjectNode();
        json.put("hourStartMs", hour.hourStartMs()).put("baseline", baseline).put("healedMs", healedMs).put("allMetrics", hour.allMetrics());
        hour.openMetrics().forEach(json.putArray("metrics")::add);
        hour.open().forEach(g -> json.withArray("gaps").add(g.id()));
        json.put("points", hour.openPoints());
        storage.put(ArchiveLayout.gapsHealed(topic, hour.hourStartMs(), baseline), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(json));
    }
}
