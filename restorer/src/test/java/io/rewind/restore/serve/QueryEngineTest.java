package io.rewind.restore.serve;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The parts of serve's query path that OpenTSDB 2.4.1 defines to the byte, each against what a TSD does. */
class QueryEngineTest {

    @Test
    void timesAreReadAsOpenTsdbReadsThem() {
        assertThat(QueryEngine.parseTime("1764900000")).isEqualTo(1_764_900_000_000L); // ten digits or fewer: seconds
        assertThat(QueryEngine.parseTime("1764900000123")).isEqualTo(1_764_900_000_123L);
        assertThat(QueryEngine.parseTime("1764900000.5")).isEqualTo(17_649_000_005L); // OpenTSDB drops the dot, as it does
        assertThat(QueryEngine.parseTime("2026/12/05-09:53:37")).isEqualTo(1_796_464_417_000L);
        assertThat(QueryEngine.parseTime("1500ms")).isEqualTo(1500);
        long now = System.currentTimeMillis();
        assertThat(QueryEngine.parseTime("1h-ago")).isBetween(now - 3_600_000 - 5_000, now - 3_600_000 + 5_000);
        assertThatThrownBy(() -> QueryEngine.parseTime("yesterday")).hasMessageContaining("Invalid time: yesterday");
        assertThatThrownBy(() -> QueryEngine.parseTime("0h-ago")).hasMessageContaining("Zero or negative duration");
    }

    @Test
    void theHoursScannedFollowTsdbQuery() {
        long h = 1_764_900_000L / 3600 * 3600;
        // No downsampling: from the start's hour to the hour after the end's second (+1 s, OpenTSDB's edge case).
        assertThat(QueryEngine.scanRange((h + 100) * 1000, (h + 200) * 1000, 0)).containsExactly(h * 1000, (h + 3600) * 1000);
        assertThat(QueryEngine.scanRange((h + 100) * 1000, (h + 3599) * 1000, 0)).containsExactly(h * 1000, (h + 7200) * 1000);
        // Downsampling by an hour: the end's next interval boundary, then the hour.
        assertThat(QueryEngine.scanRange((h + 100) * 1000, (h + 3599) * 1000, 3_600_000)).containsExactly(h * 1000, (h + 7200) * 1000);
    }

    @Test
    void mSubQueriesParseAsQueryRpcParsesThem() {
        QueryEngine.SubQuery q = QueryEngine.parseM("sum:5m-avg-zero:rate{counter,1000,5}:sys.cpu{host=web01|web02}{dc=wildcard(l*)}");
        assertThat(q.aggregator()).isEqualTo(Aggregator.SUM);
        assertThat(q.downsample()).isEqualTo(new QueryEngine.Downsample(300_000, Aggregator.AVG, "zero"));
        assertThat(q.rate()).isTrue();
        assertThat(q.rateOptions()).isEqualTo(new QueryEngine.RateOptions(true, 1000, 5, false));
        assertThat(q.metric()).isEqualTo("sys.cpu");
        assertThat(q.filters()).containsExactly(new TagFilter("wildcard", "dc", "l*", false, false),
                new TagFilter("literal_or", "host", "web01|web02", true, false));
        assertThat(QueryEngine.parseM("avg:rate{dropcounter}:m").rateOptions().dropResets()).isTrue();
        assertThat(QueryEngine.parseM("avg:m{host=web*}").filters()).containsExactly(new TagFilter("wildcard", "host", "web*", true, true));
        assertThatThrownBy(() -> QueryEngine.parseM("sum")).hasMessageContaining("not enough :-separated parts");
        assertThatThrownBy(() -> QueryEngine.parseM("p99:m")).hasMessageContaining("not served by rewind serve");
        assertThatThrownBy(() -> QueryEngine.parseM("nope:m")).hasMessage("No such aggregation function: nope");
        assertThatThrownBy(() -> QueryEngine.parseM("sum:rate{counter,,,true}:m")).hasMessageContaining("recieved: 4 parts");
        assertThatThrownBy(() -> QueryEngine.parseM("sum:1m-none:m")).hasMessage("cannot use the NONE aggregator for downsampling");
        assertThatThrownBy(() -> QueryEngine.parseM("sum:1m-avg-sideways:m")).hasMessage("Unrecognized fill policy: sideways");
    }

    @Test
    void tagFiltersMatchAsOpenTsdbsDo() {
        Map<String, String> web = Map.of("host", "web01", "dc", "lga");
        assertThat(new TagFilter("literal_or", "host", "web01|web02", false, false).matches(web)).isTrue();
        assertThat(new TagFilter("iliteral_or", "host", "WEB01", false, false).matches(web)).isTrue();
        assertThat(new TagFilter("not_literal_or", "host", "web02", false, false).matches(web)).isTrue();
        assertThat(new TagFilter("regexp", "host", "eb0", false, false).matches(web)).as("unanchored").isTrue();
        assertThat(new TagFilter("wildcard", "host", "*", false, false).matches(web)).isTrue();
        assertThat(new TagFilter("wildcard", "host", "WEB*", false, false).matches(web)).isFalse();
        assertThat(new TagFilter("iwildcard", "host", "WEB*", false, false).matches(web)).isTrue();
        // 2.4.1's wildcard: inner parts found in order from where the last one's length leaves off, not anchored.
        assertThat(new TagFilter("wildcard", "host", "a*b", false, false).matches(Map.of("host", "bba"))).isTrue();
        assertThat(new TagFilter("wildcard", "host", "*01", false, false).matches(web)).isTrue();
        assertThat(new TagFilter("wildcard", "host", "*02", false, false).matches(web)).isFalse();
        assertThat(new TagFilter("literal_or", "role", "db", false, false).matches(web)).isFalse();
        assertThatThrownBy(() -> new TagFilter("fuzzy", "host", "x", false, false)).hasMessageContaining("Could not find a tag value filter");
    }

    @Test
    void aggregatorsComputeOnLongsAsOpenTsdbDoes() {
        assertThat(Aggregator.AVG.runLong(new long[] {31, 20}, 2)).as("integer division").isEqualTo(25);
        assertThat(Aggregator.AVG.runDouble(new double[] {31, 20}, 2)).isEqualTo(25.5);
        assertThat(Aggregator.SUM.runDouble(new double[] {Double.NaN, 2}, 2)).isEqualTo(2.0);
        assertThat(Aggregator.SUM.runDouble(new double[] {Double.NaN, Double.NaN}, 2)).isNaN();
        assertThat(Aggregator.COUNT.runDouble(new double[] {Double.NaN, 2, 3}, 3)).isEqualTo(2.0);
        assertThat(Aggregator.MIMMAX.runLong(new long[] {5, Long.MIN_VALUE}, 2)).isEqualTo(5);
        assertThat(List.of(Aggregator.values())).extracting(a -> a.name).contains("sum", "avg", "min", "max", "count", "zimsum", "mimmax",
                "mimmin", "none");
    }
}
