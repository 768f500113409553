package io.rewind.tap.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.rewind.schema.PointKind;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The expected errors are what a real OpenTSDB 2.4.1 TSD put in {@code /api/put?details} for the same body. */
class JsonPutParserTest {
    private final JsonPutParser parser = new JsonPutParser(new PointRules(8));

    private List<JsonPutParser.Entry> parse(String json) throws JsonPutParser.BadBody {
        return parser.parse(new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)), PointKind.PUT);
    }

    @Test
    void eachBadPointGetsOpenTsdbsDetailAndItsReasonWhileTheGoodOnesBecomePoints() throws Exception {
        List<JsonPutParser.Entry> entries = parse("["
                + "{\"metric\":\"m\",\"timestamp\":1700000000,\"value\":\"2\",\"tags\":{\"host\":\"a\"}},"
                + "{\"metric\":\"m\",\"timestamp\":1700000000,\"value\":\"abc\",\"tags\":{\"host\":\"a\"}},"
                + "{\"metric\":\"m$\",\"timestamp\":1700000000,\"value\":1.5,\"tags\":{\"host\":\"a\"}},"
                + "{\"metric\":\"m\",\"timestamp\":0,\"value\":1,\"tags\":{\"host\":\"a\"}},"
                + "{\"metric\":\"m\",\"timestamp\":1700000000,\"value\":1},"
                + "{\"metric\":\"m\",\"timestamp\":1700000000.7,\"value\":1e400,\"tags\":{\"host\":\"a\"}},"
                + "{\"metric\":\"m\",\"timestamp\":1700000000,\"value\":1.5,\"tags\":{\"host\":\"a\"},\"unknown\":[1]}]");
        assertThat(entries).extracting(JsonPutParser.Entry::error).containsExactly(null, "Unable to parse value to a number",
                "Invalid metric name (\"m$\"): illegal character: $", "Invalid timestamp", "Missing tags",
                "value is NaN or Infinite: Infinity for metric=m timestamp=1700000000", null);
        assertThat(entries).extracting(JsonPutParser.Entry::reason).containsExactly(null, Rejection.Reason.VALUE,
                Rejection.Reason.METRIC, Rejection.Reason.TIMESTAMP, Rejection.Reason.TAGS, Rejection.Reason.VALUE, null);
        assertThat(entries.get(0).point().getValue()).isEqualTo(2L);
        assertThat(entries.get(6).point().getValue()).isEqualTo(1.5d);
        assertThat(entries.get(2).datapoint()).isEqualTo(Map.of("metric", "m$", "timestamp", 1_700_000_000L, "value", "1.5",
                "tags", Map.of("host", "a")));
    }

    @Test
    void aBodyThatIsNotDataPointsFailsAsAWhole() {
        assertThatThrownBy(() -> parse("{bad")).isInstanceOfSatisfying(JsonPutParser.BadBody.class,
                e -> assertThat(e.getMessage()).isEqualTo("Unable to parse the given JSON"));
        assertThatThrownBy(() -> parse("[]")).isInstanceOfSatisfying(JsonPutParser.BadBody.class,
                e -> assertThat(e.getMessage()).isEqualTo("No datapoints found in content"));
    }

    @Test
    void aNulByteIsTheIllegalCharacterOpenTsdbSeesNotAHintOfUtf16() {
        // Found by the fuzz test: from bytes, "[\0]\0..." read as UTF-16 gives an empty array; OpenTSDB reads UTF-8 text.
        for (String body : List.of("[\0]\0I$]h ", "[ \0]", "{\0\"metric\":\"m\"}")) {
            assertThatThrownBy(() -> parse(body)).as(body).isInstanceOfSatisfying(JsonPutParser.BadBody.class,
                    e -> assertThat(e.getMessage()).isEqualTo("Unable to parse the given JSON"));
        }
    }
}
