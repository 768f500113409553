package io.rewind.restore.targets;

import io.rewind.restore.plan.OutputSeries;


/**
 * Points {@code [from, to)} of one output series. When the plan replaces, {@code [domainFromMs, domainToMs)} is the
 * span of target time these points are all the series holds in (the unit's window within the selection's range,
 * shifted, cut where the series is split between batches); otherwise the span is empty.
 */
public record Slice(OutputSeries series, int from, int to, long domainFromMs, long domainToMs) {
    public Slice(OutputSeries series, int from, int to) {
        this(series, from, to, 0, 0);
    }
}
