package io.rewind.bench;

import io.rewind.archive.segment.SegmentCodec;
import io.rewind.archive.segment.SeriesPoints;
import java.util.HashMap;
import java.util.Map;

/**
 * An estimate of the bits a series' values need, whatever the coder: where an archive's value columns can at best arrive.
 * Each column (the integers, and the floating-point values as the archive stores them: scaled decimals, or their bits) is
 * taken as it is, as deltas and as deltas of deltas, whichever is smallest. Each stretch of 128 residuals counts the
 * entropy of Gaussian noise of the stretch's spread, or, when the stretch takes 16 values or fewer, the empirical entropy
 * of those values. Gaussian noise has the most entropy of any noise of its spread, so noise of another shape (uniform,
 * bursty) needs fewer bits than estimated; and the estimate knows nothing of what series share (an idle CPU's jiffies
 * are the rest of the interval's).
 */
final class ValueEntropy {
    private static final int STRETCH = 128;
    private static final int FEW = 16;
    private static final double GAUSSIAN = Math.sqrt(2 * Math.PI * Math.E);

    private ValueEntropy() {
    }

    /** The estimated bits of the values of one series' points. */
    static double bits(SeriesPoints points) {
        int n = points.size();
        long[] integers = new long[n];
        double[] floats = new double[n];
        int ni = 0;
        int nf = 0;
        for (int i = 0; i < n; i++) {
            if (points.isFloatingPoint(i)) {
                floats[nf++] = Double.longBitsToDouble(points.valueBits(i));
            } else {
                integers[ni++] = points.valueBits(i);
            }
        }
        long[] stored = new long[nf];
        int scale = SegmentCodec.decimalScale(floats, nf);
        for (int i = 0; i < nf; i++) {
            stored[i] = scale >= 0 ? Math.round(floats[i] * Math.pow(10, scale)) : Double.doubleToRawLongBits(floats[i]);
        }
        return column(integers, ni) + column(stored, nf);
    }

    private static double column(long[] values, int n) {
        double best = Double.MAX_VALUE;
        long[] residuals = new long[n];
        for (int order = 0; order <= 2; order++) {
            for (int i = order; i < n; i++) {
                residuals[i] = order == 0 ? values[i] : order == 1 ? values[i] - values[i - 1]
                        : values[i] - 2 * values[i - 1] + values[i - 2];
            }
            double bits = 0;
            for (int from = Math.min(order, n); from < n; from += STRETCH) {
                bits += stretch(residuals, from, Math.min(n, from + STRETCH));
            }
            best = Math.min(best, bits);
        }
        return n == 0 ? 0 : best;
    }

    private static double stretch(long[] r, int from, int to) {
        int count = to - from;
        double mean = 0;
        for (int i = from; i < to; i++) {
            mean += r[i];
        }
        mean /= count;
        double variance = 0;
        for (int i = from; i < to; i++) {
            variance += (r[i] - mean) * (r[i] - mean);
        }
        double gaussian = count * Math.max(0, log2(Math.sqrt(variance / count) * GAUSSIAN));
        Map<Long, Integer> counts = new HashMap<>();
        for (int i = from; i < to && counts.size() <= FEW; i++) {
            counts.merge(r[i], 1, Integer::sum);
        }
        if (counts.size() > FEW) {
            return gaussian;
        }
        double empirical = 0;
        for (int c : counts.values()) {
            empirical -= c * log2(c / (double) count);
        }
        return Math.min(gaussian, empirical);
    }

    private static double log2(double x) {
        return Math.log(x) / Math.log(2);
    }
}
