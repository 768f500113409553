package io.rewind.tap.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.rewind.schema.Point;
import io.rewind.schema.TimestampPrecision;
import java.nio.charset.StandardCharsets;
import java.util.stream.Stream;
import net.opentsdb.core.Const;
import net.opentsdb.core.OpenTsdbPuts;
import net.opentsdb.core.Tags;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Differential fuzzing of the telnet put parser against OpenTSDB 2.4.1's own code ({@link OpenTsdbPuts}): for any line,
 * the tap accepts a point exactly when a TSD stores it, with the same metric, tags, timestamp, precision and value, and
 * refuses it otherwise with a {@link Rejection}; nothing else escapes. The build replays the corpus and fuzzes for
 * {@code fuzz.duration} (20 s; {@code -Dfuzz.duration=30m} for a long run).
 */
class TelnetPutFuzzTest {
    private static final TelnetPutParser TAP = new TelnetPutParser(new PointRules(8));

    static Stream<Arguments> lines() {
        return Stream.of("sys.cpu.user 1700000000 42 host=web01 cpu=0", "sys.cpu 1700000000.123 2.5 host=a",
                "m 1700000000123 -7 a=b", "m 1700000000 1e3 a=b", "m 1700000000 NaN a=b", "m 1700000000 0x1f a=b",
                "temp\u00e9 1700000000 1 host=a", "m  1700000000 1 host=a  dc=x", "m 1700000000 1 host=a host=b",
                "m 1700000000 1", "m 0 1 a=b", "m 1700000000 1 a=b c=d e=f g=h i=j k=l m=n o=p q=r")
                .map(line -> Arguments.of((Object) line.getBytes(StandardCharsets.ISO_8859_1)));
    }

    @MethodSource("lines")
    @FuzzTest(maxDuration = "20s")
    void aPutLineIsStoredByTheTapExactlyWhenOpenTsdbStoresIt(byte[] input) {
        String rest = new String(input, StandardCharsets.ISO_8859_1);
        if (rest.indexOf('\n') >= 0 || rest.indexOf('\r') >= 0) {
            return; // both split lines there before parsing them
        }
        String line = "put " + rest;
        OpenTsdbPuts.Stored stored = null;
        IllegalArgumentException refused = null;
        try {
            stored = OpenTsdbPuts.telnet(line);
        } catch (IllegalArgumentException e) {
            refused = e;
        }
        Point point = null;
        Rejection rejection = null;
        try {
            point = TAP.parse(line);
        } catch (Rejection e) {
            rejection = e;
        }
        if (refused != null) {
            assertThat(rejection).as("OpenTSDB refuses [%s]: %s; the tap took %s", line, refused.getMessage(), point).isNotNull();
            return;
        }
        assertThat(rejection).as("OpenTSDB stores [%s]; the tap refused it", line).isNull();
        boolean milliseconds = (stored.timestamp() & Const.SECOND_MASK) != 0;
        assertThat(point.getMetric()).isEqualTo(stored.metric());
        assertThat(point.getTags()).isEqualTo(stored.tags());
        assertThat(point.getTimestampMs()).isEqualTo(milliseconds ? stored.timestamp() : stored.timestamp() * 1000);
        assertThat(point.getPrecision()).isEqualTo(milliseconds ? TimestampPrecision.MILLISECONDS : TimestampPrecision.SECONDS);
        assertThat(point.getValue()).as("the value of [%s]", line)
                .isEqualTo(stored.integer() ? (Object) Tags.parseLong(stored.value()) : (Object) Double.parseDouble(stored.value()));
    }
}
