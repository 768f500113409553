package io.rewind.bench;

import io.rewind.archive.segment.SeriesId;
import io.rewind.archive.segment.SeriesPoints;
import io.rewind.schema.SeriesKey;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * An hour of what tcollector-like collectors send: {@code sys.cpu.*} for 32 hosts in two data
 * centres, 8 CPUs each, every 10 s. Counters (jiffies: integers growing by a per-series rate with
 * noise) and gauges rounded to 2 decimals (random walks). Each host's collector sends a batch every
 * interval, so all of a host's points of one interval share the ingest time the tap stamped on the
 * batch, 0.2 to 1 s after the interval. Seeded: the same data every run.
 */
public final class RealisticDataset {
    static final String[] COUNTERS = {"sys.cpu.user", "sys.cpu.system", "sys.cpu.idle", "sys.cpu.iowait"};
    static final String[] GAUGES = {"sys.cpu.util.pct", "sys.cpu.temp.celsius", "sys.cpu.freq.ghz"};
    static final int HOSTS = 32;
    static final int CPUS = 8;
    static final long INTERVAL_MS = 10_000;

    private RealisticDataset() {
    }

    /** The series of one hour from {@code startMs}, sorted by series: what one segment holds. */
    public static List<SeriesPoints> hour(long startMs) {
        int points = (int) (3_600_000 / INTERVAL_MS);
        long[][] ingestLag = new long[HOSTS][points];
        Random batches = new Random(42);
        for (int h = 0; h < HOSTS; h++) {
            for (int i = 0; i < points; i++) {
                ingestLag[h][i] = 200 + batches.nextInt(800);
            }
        }
        List<SeriesPoints> all = new ArrayList<>();
        Random random = new Random(7);
        for (String metric : COUNTERS) {
            for (int h = 0; h < HOSTS; h++) {
                for (int cpu = 0; cpu < CPUS; cpu++) {
                    SeriesPoints series = series(metric, h, cpu, points);
                    long value = random.nextInt(1_000_000_000);
                    int rate = metric.endsWith("idle") ? 700 + random.nextInt(300) : random.nextInt(300);
                    for (int i = 0; i < points; i++) {
                        long ts = startMs + i * INTERVAL_MS;
                        value += Math.max(0, rate + (long) (random.nextGaussian() * rate * 0.2));
                        series.add(ts, false, false, value, ts + ingestLag[h][i], null);
                    }
                    all.add(series);
                }
            }
        }
        for (String metric : GAUGES) {
            double low = metric.contains("pct") ? 0 : metric.contains("temp") ? 30 : 1.2;
            double high = metric.contains("pct") ? 100 : metric.contains("temp") ? 95 : 3.8;
            double step = metric.contains("freq") ? 0.05 : 0.8;
            for (int h = 0; h < HOSTS; h++) {
                for (int cpu = 0; cpu < CPUS; cpu++) {
                    SeriesPoints series = series(metric, h, cpu, points);
                    double value = low + random.nextDouble() * (high - low);
                    for (int i = 0; i < points; i++) {
                        long ts = startMs + i * INTERVAL_MS;
                        value = Math.min(high, Math.max(low, value + random.nextGaussian() * step));
                        double rounded = Math.round(value * 100) / 100.0;
                        series.add(ts, false, true, Double.doubleToRawLongBits(rounded), ts + ingestLag[h][i], null);
                    }
                    all.add(series);
                }
            }
        }
        all.sort((a, b) -> a.id().compareTo(b.id()));
        return all;
    }

    private static SeriesPoints series(String metric, int host, int cpu, int points) {
        Map<String, String> tags = Map.of("host", String.format("web%02d", host), "dc", host % 2 == 0 ? "lga" : "sjc",
                "cpu", Integer.toString(cpu));
        return new SeriesPoints(SeriesId.of(SeriesKey.of(metric, tags)), points);
    }
}
