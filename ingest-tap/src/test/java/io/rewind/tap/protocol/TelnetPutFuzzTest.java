package io.rewind.tap.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.rewind.schema.Point;
import java.nio.charset.StandardCharsets;
import java.util.stream.Stream;
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
    private static final io.rewind.schema.wire.SingleObjectWireFormat<Point> FORMAT =
            new io.rewind.schema.wire.SingleObjectWireFormat<>(Point.class);
    private static final TelnetPutFastPath FAST = new TelnetPutFastPath(8, FORMAT.header());
    private static OpenTsdbPuts openTsdb;

    static Stream<Arguments> lines() {
        return Stream.of("sys.cpu.user 1700000000 42 host=web01 cpu=0", "sys.cpu 1700000000.123 2.5 host=a",
                "m 1700000000123 -7 a=b", "m 1700000000 1e3 a=b", "m 1700000000 NaN a=b", "m 1700000000 0x1f a=b",
                "temp\u00e9 1700000000 1 host=a", "m  1700000000 1 host=a  dc=x", "m 1700000000 1 host=a host=b",
                "m 1700000000 1", "m 0 1 a=b", "m 1700000000 1 a=b c=d e=f g=h i=j k=l m=n o=p q=r")
                .map(line -> Arguments.of((Object) line.getBytes(StandardCharsets.ISO_8859_1)));
    }

    @MethodSource("lines")
    @FuzzTest(maxDuration = "20s")
    void aPutLineIsStoredByTheTapExactlyWhenOpenTsdbStoresIt(byte[] input) throws Exception {
        if (openTsdb == null) {
            openTsdb = new OpenTsdbPuts();
        }
        String rest = new String(input, StandardCharsets.ISO_8859_1);
        if (rest.indexOf('\n') >= 0 || rest.indexOf('\r') >= 0) {
            return; // both split lines there before parsing them
        }
        String line = "put " + rest;
        OpenTsdbPuts.Result stored = openTsdb.telnet(line);
        Point point = null;
        Rejection rejection = null;
        try {
            point = TAP.parse(line);
        } catch (Rejection e) {
            rejection = e;
        }
        // The fast path takes a line only when OpenTSDB stores it, as the point the full parser reads.
        byte[] bytes = line.getBytes(StandardCharsets.ISO_8859_1);
        io.rewind.tap.record.PointRecord quick = FAST.encode(bytes, bytes.length, 0);
        if (!stored.stored()) {
            assertThat(rejection).as("OpenTSDB refuses [%s]: %s; the tap took %s", line, stored.error(), point).isNotNull();
            assertThat(quick).as("OpenTSDB refuses [%s]: %s; the fast path took it", line, stored.error()).isNull();
            return;
        }
        assertThat(rejection).as("OpenTSDB stores [%s]; the tap refused it", line).isNull();
        stored.assertStoredAs(point, "[" + line + "]");
        if (quick != null) {
            assertThat(FORMAT.decode(quick.value())).as("[%s] by the fast path", line).isEqualTo(point);
            assertThat(quick.key()).as("[%s] by the fast path", line).isEqualTo(io.rewind.schema.SeriesKey.of(point).toBytes());
        }
    }
}
