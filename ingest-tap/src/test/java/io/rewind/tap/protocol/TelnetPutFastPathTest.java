package io.rewind.tap.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import io.rewind.schema.Point;
import io.rewind.schema.SeriesKey;
import io.rewind.schema.wire.SingleObjectWireFormat;
import io.rewind.tap.record.PointEncoder;
import io.rewind.tap.record.PointRecord;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The telnet fast path takes only lines OpenTSDB's rules (the full parser) accept, and writes exactly the record the full
 * parser's point becomes: on the lines collectors send, on every edge of its rules, and on random lines built from words
 * both valid and not.
 */
class TelnetPutFastPathTest {
    private static final int MAX_TAGS = 8;
    private final SingleObjectWireFormat<Point> format = new SingleObjectWireFormat<>(Point.class);
    private final PointEncoder encoder = new PointEncoder(format);
    private final TelnetPutParser parser = new TelnetPutParser(new PointRules(MAX_TAGS));
    private final TelnetPutFastPath fast = new TelnetPutFastPath(MAX_TAGS, format.header());

    @Test
    void theLinesCollectorsSendTakeTheFastPathAndBecomeTheSameRecords() {
        List<String> typical = List.of(
                "put sys.cpu.user 1763726400 42 host=web01 cpu=0",
                "put proc.loadavg.1min 1763726400 0.57 host=web01 dc=lga",
                "put net.ping.rtt_ms 1763726400123 0.431 host=web01",
                "put app.latency 1763726400 -12.5 host=a endpoint=/login zone=eu-west-1a",
                "put x 1 0 a=b",
                "put m 1763726400 123456789012345678 k=v",
                "put m 1763726400 -0.0 k=v",
                "put m 1763726400 .5 k=v",
                "put m 1763726400 5. k=v",
                "put m 9999999999999 1 k=v",
                "put m 1763726400 1 z=1 a=2 m=3 b=4 y=5 c=6 x=7 d=8");
        for (String line : typical) {
            assertThat(check(line)).as(line).isTrue();
        }
    }

    @Test
    void everyOtherLineIsLeftToTheFullParser() {
        List<String> others = List.of(
                "put m 1763726400 1e3 k=v", "put m 1763726400 NaN k=v", "put m 1763726400 +5 k=v", "put m 1763726400 1.2.3 k=v",
                "put m 1763726400 1234567890123456789 k=v", "put m 1763726400 0.1234567890123456 k=v", "put m 1763726400.250 1 k=v",
                "put m 0 1 k=v", "put m -5 1 k=v", "put m 99999999999999 1 k=v", "put m  1763726400 1 k=v", "put m 1763726400 1  k=v",
                "put m 1763726400 1 k=v ", "put m 1763726400 1", "put m 1763726400 1 k=v k=v", "put m 1763726400 1 k=v k=w",
                "put m 1763726400 1 k=", "put m 1763726400 1 =v", "put m 1763726400 1 a=b=c", "put m\u00fc 1763726400 1 k=v",
                "put m 1763726400 1 k=\u00e9", "put m! 1763726400 1 k=v", "put m 1763726400 1 a=1 b=2 c=3 d=4 e=5 f=6 g=7 h=8 i=9",
                "rollup 1h-sum m 1763726400 1 k=v", "histogram m 1763726400 1,2=3 k=v", "version", "put", "");
        for (String line : others) {
            byte[] bytes = line.getBytes(StandardCharsets.ISO_8859_1);
            assertThat(fast.encode(bytes, bytes.length, 7L)).as(line).isNull();
            check(line); // and what the full parser does with it is never contradicted
        }
    }

    @Test
    void randomLinesNeverDisagreeWithTheFullParser() {
        String[] metrics = {"sys.cpu", "a", "m-1_x/y.Z", "bad!", "\u00fcml", ""};
        String[] timestamps = {"1763726400", "1763726400123", "0", "-5", "1763726400.5", "99999999999999", "00017", "4294967295", "4294967296", ""};
        String[] values = {"1", "-1", "0", "-0", "1.5", "-0.0", ".5", "5.", "1e3", "NaN", "123456789012345678", "1234567890123456789",
                "0.123456789012345", "0.1234567890123456", "1.2.3", "+5", "-", "", "3.14159", "-271828.1828", "007"};
        String[] tags = {"host=a", "host=b", "dc=lga", "k=", "=v", "a=b=c", "x=\u00fc", "t1=1", "cpu=0", "Z=z", "z=Z", "/=.", ""};
        Random random = new Random(20261130);
        int accepted = 0;
        for (int i = 0; i < 50_000; i++) {
            StringBuilder line = new StringBuilder("put");
            line.append(' ').append(metrics[random.nextInt(metrics.length)]);
            line.append(' ').append(timestamps[random.nextInt(timestamps.length)]);
            line.append(random.nextInt(20) == 0 ? "  " : " ").append(values[random.nextInt(values.length)]);
            int n = random.nextInt(11);
            for (int t = 0; t < n; t++) {
                line.append(random.nextInt(30) == 0 ? "  " : " ").append(tags[random.nextInt(tags.length)]);
            }
            if (random.nextInt(30) == 0) {
                line.append(' ');
            }
            if (check(line.toString())) {
                accepted++;
            }
        }
        assertThat(accepted).as("lines the fast path took").isGreaterThan(300); // most random lines break a rule
    }

    /** True when the fast path took the line; then the full parser accepts it and its point's record is the same. */
    private boolean check(String line) {
        byte[] bytes = line.getBytes(StandardCharsets.ISO_8859_1);
        PointRecord quick = fast.encode(bytes, bytes.length, 7L);
        if (quick == null) {
            return false;
        }
        Point point;
        try {
            point = parser.parse(line);
        } catch (Rejection e) {
            throw new AssertionError("The fast path took a line OpenTSDB refuses: " + line + " (" + e.getMessage() + ")");
        }
        PointRecord full = encoder.encode(point, 7L);
        assertThat(quick.key()).as(line).isEqualTo(full.key()).isEqualTo(SeriesKey.of(point).toBytes());
        assertThat(format.decode(quick.value())).as(line).isEqualTo(point);
        assertThat(quick.receivedMs()).isEqualTo(7L);
        return true;
    }
}
