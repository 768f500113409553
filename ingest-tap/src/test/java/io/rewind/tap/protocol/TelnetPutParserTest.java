package io.rewind.tap.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.rewind.schema.Point;
import io.rewind.schema.PointKind;
import io.rewind.schema.TimestampPrecision;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** Each expected reply below is what a real OpenTSDB 2.4.1 TSD answered to the same line (dev stack, telnet). */
class TelnetPutParserTest {
    private final TelnetPutParser parser = new TelnetPutParser(new PointRules(8));

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
        "put|put: illegal argument: not enough arguments (need least 4, got 0)",
        "put m 1700000000 1|put: illegal argument: not enough arguments (need least 4, got 3)",
        "put m 1700000000 abc host=a|put: invalid value: Invalid character 'a' in abc",
        "put m 1700000000 1 hosta|put: illegal argument: invalid tag: hosta",
        "put m 1700000000 1 host=a host=b|put: illegal argument: duplicate tag: host=b, tags={host=a}",
        "put m 17000000001234 1 host=a|put: illegal argument: bad timestamp=17000000001234 when trying to add value=[1]/0 to metric=m, tags={host=a}",
        "put m 170000000.01234 1 host=a|put: illegal argument: bad timestamp=17000000001234 when trying to add value=[1]/0 to metric=m, tags={host=a}",
        "put m -5 1 host=a|put: illegal argument: invalid timestamp: -5",
        "put m 0 1 host=a|put: illegal argument: invalid timestamp: 0",
        "put m abc 1 host=a|put: invalid value: Invalid character 'a' in abc",
        "put m 1700000000 NaN host=a|put: invalid value: Invalid character 'N' in NaN",
        "put m 1700000000 Inf host=a|put: invalid value: Invalid character 'I' in Inf",
        "put m 1700000000 -Infinity host=a|put: invalid value: Invalid character 'I' in -Infinity",
        "put m 1700000000 0x10 host=a|put: invalid value: Invalid character 'x' in 0x10",
        "put m 1700000000 1.5e400 host=a|put: illegal argument: value is NaN or Infinite: Infinity for metric=m timestamp=1700000000",
        "put m 1700000000 99999999999999999999 host=a|put: invalid value: Value too long: 99999999999999999999",
        "put m$ 1700000000 1 host=a|put: illegal argument: Invalid metric name (\"m$\"): illegal character: $",
        "put m 1700000000 1 ho$t=a|put: illegal argument: Invalid tag name with value [a] (\"ho$t\"): illegal character: $",
        "put m 1700000000 1 host=|put: illegal argument: invalid tag: host=",
        "put m 1700000000 1 =a|put: illegal argument: invalid tag: =a",
        "put m 1700000000 1 host=a=b|put: illegal argument: invalid tag: host=a=b",
        "put m 1700000000 1 a=1 b=2 c=3 d=4 e=5 f=6 g=7 h=8 i=9|put: illegal argument: Too many tags: 9 maximum allowed: 8, tags: {a=1, b=2, c=3, d=4, e=5, f=6, g=7, h=8, i=9}",
        "put  m 1700000000 1 host=a|put: illegal argument: empty metric name",
        "put m 1700000000 1e host=a|put: invalid value: For input string: \"1e\"",
        "put m 1700000000 1- host=a|put: invalid value: Invalid character '-' in 1-",
        "put m 1700000000 - host=a|put: invalid value: Just a sign, no value: -",
        "put m 1700000000  host=a|put: illegal argument: empty value",
        "rollup 1h-sum:m 1700000000 1 host=a|rollup: illegal argument: not enough arguments (need least 7, got 4)",
        "rollup|rollup: illegal argument: not enough arguments (need least 7, got 0)",
    })
    void refusesWhatOpenTsdbRefusesWithItsWords(String line, String reply) {
        String command = TelnetPutParser.writeCommand(line);
        assertThatThrownBy(() -> parser.parse(line)).isInstanceOfSatisfying(Rejection.class,
                e -> assertThat(e.telnetLine(command)).isEqualTo(reply + "\n"));
    }

    @Test
    void tabInTagValueIsRefusedWithTheCharacterNamed() {
        assertThatThrownBy(() -> parser.parse("put m 1700000000 1 host=a\tb")).isInstanceOfSatisfying(Rejection.class,
                e -> assertThat(e.telnetLine("put")).isEqualTo("put: illegal argument: Invalid tag value with key [host] (\"a\tb\"): illegal character: \t\n"));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "put m 1700000000.5 1 host=a|17000000005|MILLISECONDS|1",
        "put m 1700000000.123 1 host=a|1700000000123|MILLISECONDS|1",
        "put m 1700000000123 1 host=a|1700000000123|MILLISECONDS|1",
        "put m 1.2.3 1 host=a|123000|SECONDS|1",
        "put m 4294967295 1 host=a|4294967295000|SECONDS|1",
        "put m 1700000000 1e3 host=a|1700000000000|SECONDS|1000.0",
        "put m 1700000000 -3 host=a|1700000000000|SECONDS|-3",
        "put m 1700000000 +3 host=a|1700000000000|SECONDS|3",
        "put m 1700000000 1. host=a|1700000000000|SECONDS|1.0",
        "put m 1700000000 .5 host=a|1700000000000|SECONDS|0.5",
        "put m 1700000000 0.1 host=a|1700000000000|SECONDS|0.1",
        "put m 1700000000 1 host=a |1700000000000|SECONDS|1",
        "put m 1700000000 1  host=a|1700000000000|SECONDS|1",
        "put m 1700000000 1 host=a host=a|1700000000000|SECONDS|1",
    })
    void acceptsWhatOpenTsdbStoresWithTimestampPrecisionAndValueType(String line, long timestampMs, TimestampPrecision precision, String value) {
        Point point = parser.parse(line);
        assertThat(point.getKind()).isEqualTo(PointKind.PUT);
        assertThat(point.getMetric()).isEqualTo("m");
        assertThat(point.getTags()).isEqualTo(Map.of("host", "a"));
        assertThat(point.getTimestampMs()).isEqualTo(timestampMs);
        assertThat(point.getPrecision()).isEqualTo(precision);
        assertThat(point.getValue()).hasToString(value).isInstanceOf(value.contains(".") ? Double.class : Long.class);
    }

    @Test
    void unicodeLettersInNamesAreAcceptedAsOpenTsdbDoes() {
        Point point = parser.parse("put m\u00e9 1700000000 1 host=\u00e9t\u00e9");
        assertThat(point.getMetric()).isEqualTo("m\u00e9");
        assertThat(point.getTags()).isEqualTo(Map.of("host", "\u00e9t\u00e9"));
    }

    @Test
    void rollupAndHistogramLinesBecomePointsOfTheirKind() {
        Point rollup = parser.parse("rollup 1h-SUM sys.cpu 1700000000 42 host=a");
        assertThat(rollup.getKind()).isEqualTo(PointKind.ROLLUP);
        assertThat(rollup.getRollup().getInterval()).isEqualTo("1h");
        assertThat(rollup.getRollup().getAggregator()).isEqualTo("SUM");
        assertThat(rollup.getValue()).isEqualTo(42L);

        Point simple = parser.parse("histogram latency 1700000000 0,1.5=12:1.5,3=7:u=0:o=1 host=a");
        assertThat(simple.getKind()).isEqualTo(PointKind.HISTOGRAM);
        assertThat(simple.getHistogram().getBuckets()).hasSize(2);
        assertThat(simple.getHistogram().getBuckets().get(1).getCount()).isEqualTo(7L);
        assertThat(simple.getHistogram().getOverflow()).isEqualTo(1L);

        Point encoded = parser.parse("histogram latency 1700000000 1 AQID host=a");
        assertThat(encoded.getHistogram().getId()).isEqualTo(1);
        assertThat(encoded.getHistogram().getEncoded().remaining()).isEqualTo(3);
    }

    @Test
    void linesThatAreNotWritesAreNotPoints() {
        assertThat(parser.parse("version")).isNull();
        assertThat(parser.parse("PUT m 1700000000 1 host=a")).isNull();
        assertThat(parser.parse("")).isNull();
    }
}
