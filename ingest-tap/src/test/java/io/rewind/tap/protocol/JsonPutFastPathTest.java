package io.rewind.tap.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import io.rewind.schema.Point;
import io.rewind.schema.PointKind;
import io.rewind.schema.SeriesKey;
import io.rewind.schema.wire.SingleObjectWireFormat;
import io.rewind.tap.record.PointRecord;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The {@code /api/put} fast path takes only bodies whose every point the full parser (OpenTSDB's rules) accepts, and writes
 * exactly the records those points become: on the bodies collectors post, on bodies it must leave to the full parser, and
 * on random bodies built from pieces both valid and not.
 */
class JsonPutFastPathTest {
    private static final int MAX_TAGS = 8;
    private final SingleObjectWireFormat<Point> format = new SingleObjectWireFormat<>(Point.class);
    private final JsonPutParser parser = new JsonPutParser(new PointRules(MAX_TAGS));
    private final JsonPutFastPath fast = new JsonPutFastPath(MAX_TAGS, format.header());

    @Test
    void theBodiesCollectorsPostTakeTheFastPathAndBecomeTheSameRecords() throws Exception {
        List<String> typical = List.of(
                "[{\"metric\":\"sys.cpu.user\",\"timestamp\":1763726400,\"value\":42,\"tags\":{\"host\":\"web01\",\"cpu\":\"0\"}}]",
                "{\"metric\":\"sys.cpu.user\",\"timestamp\":1763726400,\"value\":42,\"tags\":{\"host\":\"web01\"}}",
                "[\n  {\n    \"metric\": \"app.latency\",\n    \"timestamp\": 1763726400123,\n    \"value\": 12.375,\n"
                        + "    \"tags\": {\"endpoint\": \"/login\", \"zone\": \"eu-west-1a\"}\n  },\n"
                        + "  {\"tags\":{\"b\":\"2\",\"a\":\"1\"},\"value\":-0.5,\"timestamp\":1763726401,\"metric\":\"m\"}\n]\n",
                " [{\"metric\":\"m\",\"timestamp\":9999999999999,\"value\":-0,\"tags\":{\"k\":\"v\"}}] ",
                "[{\"metric\":\"m\",\"timestamp\":1,\"value\":123456789012345678,\"tags\":{\"z\":\"1\",\"a\":\"2\",\"m\":\"3\",\"b\":\"4\","
                        + "\"y\":\"5\",\"c\":\"6\",\"x\":\"7\",\"d\":\"8\"}}]",
                "[{\"metric\":\"m\",\"timestamp\":1763726400,\"value\":0.1,\"tags\":{\"k\":\"v\"}},"
                        + "{\"metric\":\"m\",\"timestamp\":1763726400,\"value\":0.1,\"tags\":{\"k\":\"v\"}}]");
        for (String body : typical) {
            assertThat(fast.encode(bytes(body), bytes(body).length, 7)).as(body).isNotNull();
            assertSameAsFullParser(body);
        }
    }

    @Test
    void bodiesOutsideItsSubsetAreLeftToTheFullParser() throws Exception {
        String tags = "\"tags\":{\"host\":\"a\"}";
        List<String> others = List.of(
                "[]", "[null]", "{}", "", "   ", "[{\"metric\":\"m\",\"timestamp\":1763726400,\"value\":1," + tags + "},]",
                "[{\"metric\":\"m\",\"timestamp\":1763726400,\"value\":1," + tags + "}] x",
                "{\"metric\":\"m\",\"timestamp\":1763726400,\"value\":1," + tags + ",\"tsuid\":\"0001\"}",
                "{\"metric\":\"m\",\"metric\":\"n\",\"timestamp\":1763726400,\"value\":1," + tags + "}",
                "{\"metric\":\"m\",\"timestamp\":1763726400,\"value\":\"1\"," + tags + "}",
                "{\"metric\":\"m\",\"timestamp\":\"1763726400\",\"value\":1," + tags + "}",
                "{\"metric\":\"m\",\"timestamp\":01763726400,\"value\":1," + tags + "}",
                "{\"metric\":\"m\",\"timestamp\":1763726400,\"value\":01," + tags + "}",
                "{\"metric\":\"m\",\"timestamp\":1763726400,\"value\":1e3," + tags + "}",
                "{\"metric\":\"m\",\"timestamp\":1763726400,\"value\":1.," + tags + "}",
                "{\"metric\":\"m\",\"timestamp\":1763726400,\"value\":NaN," + tags + "}",
                "{\"metric\":\"m\",\"timestamp\":0,\"value\":1," + tags + "}",
                "{\"metric\":\"m\",\"timestamp\":-1,\"value\":1," + tags + "}",
                "{\"metric\":\"m\",\"timestamp\":17637264000000,\"value\":1," + tags + "}",
                "{\"metric\":\"m\",\"timestamp\":1763726400,\"value\":1234567890123456789," + tags + "}",
                "{\"metric\":\"m\",\"timestamp\":1763726400,\"value\":1,\"tags\":{}}",
                "{\"metric\":\"m\",\"timestamp\":1763726400,\"value\":1,\"tags\":{\"a\":\"1\",\"a\":\"2\"}}",
                "{\"metric\":\"m\",\"timestamp\":1763726400,\"value\":1,\"tags\":{\"a\":\"1\",\"b\":\"2\",\"c\":\"3\",\"d\":\"4\",\"e\":\"5\","
                        + "\"f\":\"6\",\"g\":\"7\",\"h\":\"8\",\"i\":\"9\"}}",
                "{\"metric\":\"m\\u0041\",\"timestamp\":1763726400,\"value\":1," + tags + "}",
                "{\"metric\":\"temp\u00e9\",\"timestamp\":1763726400,\"value\":1," + tags + "}",
                "{\"metric\":\"m m\",\"timestamp\":1763726400,\"value\":1," + tags + "}",
                "{\"metric\":\"\",\"timestamp\":1763726400,\"value\":1," + tags + "}",
                "{\"timestamp\":1763726400,\"value\":1," + tags + "}",
                "{\"metric\":\"m\",\"timestamp\":1763726400,\"value\":1,\"tags\":{\"host\":\"a\"}",
                "{\"metric\":\"m\",\"timestamp\":1763726400,\"value\":1,\"tags\":{\"host\":null}}",
                "{\"metric\":\"m\",\"timestamp\":1763726400,\"value\":1,\"tags\":{\"host\":1}}");
        for (String body : others) {
            assertThat(fast.encode(bytes(body), bytes(body).length, 7)).as(body).isNull();
        }
    }

    @Test
    void onRandomBodiesTheFastPathTakesOnlyWhatTheFullParserStoresAsTheSameRecords() throws Exception {
        Random random = new Random(20261130);
        String[] metrics = {"\"sys.cpu\"", "\"m\"", "\"a/b_c-d.e\"", "\"\"", "\"m x\"", "\"m\\n\"", "1", "null", "\"caf\u00e9\""};
        String[] timestamps = {"1763726400", "1763726400123", "1", "9999999999999", "0", "-5", "\"1763726400\"", "1.5", "017637264",
                "99999999999999", "null"};
        String[] values = {"42", "-7", "0", "-0", "0.5", "-12.375", "123456789012345678", "1234567890123456789", "1e3", "\"42\"",
                "0.1234567890123456", "NaN", "01", "1.", "null", "true"};
        String[] tagPieces = {"\"host\":\"web01\"", "\"dc\":\"lga\"", "\"cpu\":\"0\"", "\"host\":\"web02\"", "\"\":\"x\"", "\"k\":\"\"",
                "\"k\":1", "\"k\":\"v w\"", "\"a.b/c-d_e\":\"v\""};
        int taken = 0;
        for (int i = 0; i < 20_000; i++) {
            int points = random.nextInt(4);
            StringBuilder body = new StringBuilder(random.nextInt(10) == 0 ? "" : "[");
            for (int p = 0; p < Math.max(points, 1); p++) {
                if (p > 0) {
                    body.append(random.nextBoolean() ? "," : ", \n");
                }
                List<String> fields = new ArrayList<>();
                fields.add("\"metric\":" + pick(random, metrics));
                fields.add("\"timestamp\":" + pick(random, timestamps));
                fields.add("\"value\":" + pick(random, values));
                StringBuilder tags = new StringBuilder("\"tags\":{");
                int count = random.nextInt(12) == 0 ? 0 : 1 + random.nextInt(random.nextInt(10) == 0 ? 10 : 3);
                for (int t = 0; t < count; t++) {
                    tags.append(t > 0 ? "," : "").append(random.nextInt(3) == 0 ? pick(random, tagPieces) : "\"k" + t + "\":\"v" + random.nextInt(5) + "\"");
                }
                fields.add(tags.append('}').toString());
                if (random.nextInt(15) == 0) {
                    fields.remove(random.nextInt(fields.size()));
                }
                if (random.nextInt(15) == 0) {
                    fields.add("\"tsuid\":\"01\"");
                }
                java.util.Collections.shuffle(fields, random);
                body.append(random.nextBoolean() ? "{" : "{ ").append(String.join(random.nextBoolean() ? "," : " , ", fields)).append('}');
            }
            if (body.charAt(0) == '[') {
                body.append(']');
            }
            if (random.nextInt(30) == 0) {
                body.setLength(random.nextInt(body.length()));
            }
            if (assertSameAsFullParser(body.toString())) {
                taken++;
            }
        }
        assertThat(taken).as("random bodies the fast path took").isGreaterThan(2_000);
    }

    /** True when the fast path took the body: then the full parser stored its every point, as the same records. */
    private boolean assertSameAsFullParser(String text) throws Exception {
        byte[] body = bytes(text);
        List<PointRecord> quick = fast.encode(body, body.length, 7);
        if (quick == null) {
            return false;
        }
        List<JsonPutParser.Entry> entries = parser.parse(body, body.length, PointKind.PUT);
        assertThat(quick).as(text).hasSameSizeAs(entries);
        for (int i = 0; i < entries.size(); i++) {
            JsonPutParser.Entry entry = entries.get(i);
            assertThat(entry.valid()).as("the full parser refuses point %d of %s: %s", i, text, entry.error()).isTrue();
            assertThat(format.decode(quick.get(i).value())).as("point %d of %s", i, text).isEqualTo(entry.point());
            assertThat(quick.get(i).key()).isEqualTo(SeriesKey.of(entry.point()).toBytes());
            assertThat(quick.get(i).receivedMs()).isEqualTo(7);
        }
        return true;
    }

    private static String pick(Random random, String[] choices) {
        return random.nextInt(3) == 0 ? choices[random.nextInt(choices.length)] : choices[random.nextInt(3)];
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
