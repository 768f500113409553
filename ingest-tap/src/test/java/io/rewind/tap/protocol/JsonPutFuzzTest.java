package io.rewind.tap.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.rewind.schema.PointKind;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Differential fuzzing of the HTTP put parser against OpenTSDB 2.4.1's own code with its own Jackson
 * ({@link OpenTsdbPuts}): for any body, the tap refuses it as a whole exactly when a TSD does, with the same message;
 * otherwise it reads the same data points, stores exactly those a TSD stores, with the same metric, tags, timestamp,
 * precision and value, and refuses the others with the error a TSD's {@code ?details} gives. Nothing else escapes. The
 * build replays the corpus and fuzzes for {@code fuzz.duration}.
 */
class JsonPutFuzzTest {
    private static final JsonPutParser TAP = new JsonPutParser(new PointRules(8));
    private static final io.rewind.schema.wire.SingleObjectWireFormat<io.rewind.schema.Point> FORMAT =
            new io.rewind.schema.wire.SingleObjectWireFormat<>(io.rewind.schema.Point.class);
    private static final JsonPutFastPath FAST = new JsonPutFastPath(8, FORMAT.header());
    private static OpenTsdbPuts openTsdb;

    static Stream<Arguments> bodies() {
        return Stream.of("{\"metric\":\"sys.cpu\",\"timestamp\":1700000000,\"value\":42,\"tags\":{\"host\":\"a\"}}",
                "[{\"metric\":\"m\",\"timestamp\":1700000000123,\"value\":\"2.5\",\"tags\":{\"host\":\"a\",\"dc\":\"x\"}},"
                        + "{\"metric\":\"m\",\"timestamp\":0,\"value\":1,\"tags\":{\"host\":\"a\"}}]",
                "[{\"metric\":\"m\",\"timestamp\":1700000000,\"value\":\"abc\",\"tags\":{\"host\":\"a\"}},null,"
                        + "{\"metric\":\"m$\",\"timestamp\":1700000000,\"value\":1e400,\"tags\":{}}]",
                "{\"metric\":\"m\",\"timestamp\":\"1700000000\",\"value\":NaN,\"tags\":{\"h\":\"a\"},\"extra\":[1,{}]}",
                "{bad json", "  [ ]  ", "\"just a string\"",
                "[ {\"tags\": {\"host\": \"web01\", \"dc\": \"lga\"}, \"value\": -0.25, \"metric\": \"sys.load\", \"timestamp\": 1700000000123} ]")
                .map(body -> Arguments.of((Object) body.getBytes(StandardCharsets.UTF_8)));
    }

    @MethodSource("bodies")
    @FuzzTest(maxDuration = "20s")
    void aPutBodyIsReadByTheTapExactlyAsOpenTsdbReadsIt(byte[] body) throws Exception {
        if (openTsdb == null) {
            openTsdb = new OpenTsdbPuts();
        }
        OpenTsdbPuts.Outcome expected = openTsdb.http(body);
        if (expected == null) {
            return; // only white space: a TSD fails with an internal error, no answer to compare with
        }
        // The fast path takes a body only when OpenTSDB stores its every point, as the records of the points it stores.
        List<io.rewind.tap.record.PointRecord> quick = FAST.encode(body, body.length, 0);
        if (quick != null) {
            assertThat(expected.badBody()).as("OpenTSDB refuses [%s] as a whole; the fast path read it", text(body)).isNull();
            assertThat(quick).as("data points of [%s] by the fast path", text(body)).hasSameSizeAs(expected.points());
            for (int i = 0; i < quick.size(); i++) {
                OpenTsdbPuts.Result stored = expected.points().get(i);
                io.rewind.schema.Point point = FORMAT.decode(quick.get(i).value());
                assertThat(stored.stored()).as("OpenTSDB refuses point %d of [%s]: %s; the fast path took it", i, text(body), stored.error()).isTrue();
                stored.assertStoredAs(point, "point " + i + " of [" + text(body) + "] by the fast path");
                assertThat(quick.get(i).key()).isEqualTo(io.rewind.schema.SeriesKey.of(point).toBytes());
            }
        }
        List<JsonPutParser.Entry> entries;
        try {
            entries = TAP.parse(body, body.length, PointKind.PUT);
        } catch (JsonPutParser.BadBody bad) {
            assertThat(bad.getMessage()).as("the tap refused [%s]; OpenTSDB: %s", text(body), expected).isEqualTo(expected.badBody());
            return;
        }
        assertThat(expected.badBody()).as("OpenTSDB refuses [%s] as a whole; the tap read %s", text(body), entries).isNull();
        assertThat(entries).as("data points of [%s]", text(body)).hasSameSizeAs(expected.points());
        for (int i = 0; i < entries.size(); i++) {
            JsonPutParser.Entry entry = entries.get(i);
            OpenTsdbPuts.Result stored = expected.points().get(i);
            if (!stored.stored()) {
                assertThat(entry.valid()).as("OpenTSDB refuses point %d of [%s]: %s", i, text(body), stored.error()).isFalse();
                if (stored.error().startsWith("bad timestamp=")) {
                    assertThat(entry.error()).startsWith(stored.error());
                } else {
                    assertThat(entry.error()).as("the error for point %d of [%s]", i, text(body)).isEqualTo(stored.error());
                }
                continue;
            }
            assertThat(entry.valid()).as("OpenTSDB stores point %d of [%s]; the tap says %s", i, text(body), entry.error()).isTrue();
            stored.assertStoredAs(entry.point(), "point " + i + " of [" + text(body) + "]");
        }
    }

    private static String text(byte[] body) {
        return new String(body, StandardCharsets.UTF_8);
    }
}
