package io.rewind.restore.serve;

import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;

/**
 * OpenTSDB 2.4's aggregators, with the interpolation each uses between a series' points and its arithmetic: on longs
 * (integer division for {@code avg}) when every value in sight is an integer, on doubles otherwise (NaN skipped).
 */
enum Aggregator {
    SUM("sum", Interpolation.LERP), ZIMSUM("zimsum", Interpolation.ZIM), PFSUM("pfsum", Interpolation.PREV),
    MIN("min", Interpolation.LERP), MAX("max", Interpolation.LERP), MIMMIN("mimmin", Interpolation.MAX), MIMMAX("mimmax", Interpolation.MIN),
    AVG("avg", Interpolation.LERP), MEDIAN("median", Interpolation.LERP), DEV("dev", Interpolation.LERP), COUNT("count", Interpolation.ZIM),
    FIRST("first", Interpolation.ZIM), LAST("last", Interpolation.ZIM), DIFF("diff", Interpolation.LERP), MULT("mult", Interpolation.LERP),
    SQUARE_SUM("squareSum", Interpolation.ZIM), NONE("none", Interpolation.ZIM);

    enum Interpolation { LERP, ZIM, MAX, MIN, PREV }

    private static final Map<String, Aggregator> BY_NAME = new TreeMap<>();

    static {
        for (Aggregator a : values()) {
            BY_NAME.put(a.name, a);
        }
    }

    final String name;
    final Interpolation interpolation;

    Aggregator(String name, Interpolation interpolation) {
        this.name = name;
        this.interpolation = interpolation;
    }

    /** The aggregator of that (case-sensitive) name; OpenTSDB's percentile aggregators are refused by name. */
    static Aggregator of(String name) {
        Aggregator a = BY_NAME.get(name);
        if (a == null) {
            if (name != null && name.matches("e?p\\d+(r[37])?")) {
                throw new IllegalArgumentException("The percentile aggregator " + name + " is not served by rewind serve");
            }
            throw new IllegalArgumentException("No such aggregation function: " + name);
        }
        return a;
    }

    /**
     * The variance as OpenTSDB's {@code dev} computes it, step for step (so that its rounding is the same): a running mean
     * from the first value, the sum of squares divided by the count (the population's variance).
     */
    private static double welford(double[] v, int n) {
        double oldMean = v[0];
        double m2 = 0;
        long k = 2;
        for (int i = 1; i < n; i++) {
            double x = v[i];
            double newMean = oldMean + (x - oldMean) / k;
            m2 += (x - oldMean) * (x - newMean);
            oldMean = newMean;
            k++;
        }
        return m2 / (k - 1);
    }

    long runLong(long[] v, int n) {
        switch (this) {
            case SUM, ZIMSUM, PFSUM, NONE: {
                long s = 0;
                for (int i = 0; i < n; i++) {
                    s += v[i];
                }
                return this == NONE ? v[0] : s;
            }
            case MIN, MIMMIN: {
                long m = v[0];
                for (int i = 1; i < n; i++) {
                    m = Math.min(m, v[i]);
                }
                return m;
            }
            case MAX, MIMMAX: {
                long m = v[0];
                for (int i = 1; i < n; i++) {
                    m = Math.max(m, v[i]);
                }
                return m;
            }
            case AVG: {
                long s = 0;
                for (int i = 0; i < n; i++) {
                    s += v[i];
                }
                return s / n;
            }
            case MEDIAN: {
                long[] sorted = Arrays.copyOf(v, n);
                Arrays.sort(sorted);
                return sorted[n / 2];
            }
            case DEV: {
                if (n == 1) {
                    return 0;
                }
                return (long) Math.sqrt(welford(Arrays.stream(v, 0, n).asDoubleStream().toArray(), n));
            }
            case COUNT:
                return n;
            case FIRST:
                return v[0];
            case LAST:
                return v[n - 1];
            case DIFF:
                return n == 1 ? 0 : v[n - 1] - v[0];
            case MULT: {
                long p = 1;
                for (int i = 0; i < n; i++) {
                    p *= v[i];
                }
                return p;
            }
            case SQUARE_SUM: {
                long s = 0;
                for (int i = 0; i < n; i++) {
                    s += v[i] * v[i];
                }
                return s;
            }
            default:
                throw new IllegalStateException(name);
        }
    }

    double runDouble(double[] v, int n) {
        switch (this) {
            case SUM, ZIMSUM, PFSUM, SQUARE_SUM: {
                double s = 0;
                boolean any = false;
                for (int i = 0; i < n; i++) {
                    if (!Double.isNaN(v[i])) {
                        s += this == SQUARE_SUM ? v[i] * v[i] : v[i];
                        any = true;
                    }
                }
                return any ? s : Double.NaN;
            }
            case MIN, MIMMIN, MAX, MIMMAX: {
                boolean min = this == MIN || this == MIMMIN;
                double m = Double.NaN;
                for (int i = 0; i < n; i++) {
                    if (!Double.isNaN(v[i]) && (Double.isNaN(m) || (min ? v[i] < m : v[i] > m))) {
                        m = v[i];
                    }
                }
                return m;
            }
            case AVG: {
                double s = 0;
                int count = 0;
                for (int i = 0; i < n; i++) {
                    if (!Double.isNaN(v[i])) {
                        s += v[i];
                        count++;
                    }
                }
                return count == 0 ? Double.NaN : s / count;
            }
            case MEDIAN: {
                double[] kept = Arrays.stream(v, 0, n).filter(d -> !Double.isNaN(d)).sorted().toArray();
                return kept.length == 0 ? Double.NaN : kept[kept.length / 2];
            }
            case DEV: {
                double[] kept = Arrays.stream(v, 0, n).filter(d -> !Double.isNaN(d)).toArray();
                return kept.length == 0 ? Double.NaN : kept.length == 1 ? 0.0 : Math.sqrt(welford(kept, kept.length));
            }
            case COUNT: {
                int count = 0;
                for (int i = 0; i < n; i++) {
                    if (!Double.isNaN(v[i])) {
                        count++;
                    }
                }
                return count;
            }
            case FIRST, NONE:
                return v[0];
            case LAST:
                return v[n - 1];
            case DIFF: {
                int first = 0;
                while (first < n && Double.isNaN(v[first])) {
                    first++;
                }
                return first == n ? Double.NaN : first == n - 1 ? 0.0 : v[n - 1] - v[first];
            }
            case MULT: {
                double p = 1;
                for (int i = 0; i < n; i++) {
                    p *= v[i];
                }
                return p;
            }
            default:
                throw new IllegalStateException(name);
        }
    }
}
