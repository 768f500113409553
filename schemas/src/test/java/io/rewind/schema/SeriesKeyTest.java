package io.rewind.schema;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class SeriesKeyTest {

    @Test
    void sameSeriesGivesSameBytesWhateverTheTagOrder() {
        Map<String, String> forward = new LinkedHashMap<>();
        forward.put("host", "web01");
        forward.put("dc", "lga");
        forward.put("cpu", "0");
        Map<String, String> backward = new LinkedHashMap<>();
        backward.put("cpu", "0");
        backward.put("dc", "lga");
        backward.put("host", "web01");

        SeriesKey a = SeriesKey.of("sys.cpu.user", forward);
        SeriesKey b = SeriesKey.of("sys.cpu.user", backward);

        assertThat(a.toBytes()).isEqualTo(b.toBytes());
        assertThat(a).isEqualTo(b).hasSameHashCodeAs(b);
    }

    @Test
    void byteFormIsMetricThenTagsSortedByKeyBetweenNulSeparators() {
        SeriesKey key = SeriesKey.of("sys.cpu.user", Map.of("host", "web01", "dc", "lga"));

        assertThat(new String(key.toBytes(), StandardCharsets.UTF_8)).isEqualTo("sys.cpu.user\0dc\0lga\0host\0web01");
    }

    @Test
    void decodesMetricAndTagsFromItsBytes() {
        Map<String, String> tags = Map.of("bâtiment", "Zürich-Ω", "host", "web01");
        SeriesKey key = SeriesKey.fromBytes(SeriesKey.of("température.salle", tags).toBytes());

        assertThat(key.metric()).isEqualTo("température.salle");
        assertThat(key.tags()).containsExactlyEntriesOf(new TreeMap<>(tags));
        assertThat(key.toString()).isEqualTo("température.salle{bâtiment=Zürich-Ω, host=web01}");
    }

    @Test
    void differentSeriesGiveDifferentKeys() {
        SeriesKey base = SeriesKey.of("m", Map.of("a", "b"));

        assertThat(SeriesKey.of("m", Map.of("a", "c"))).isNotEqualTo(base);
        assertThat(SeriesKey.of("m", Map.of("b", "b"))).isNotEqualTo(base);
        assertThat(SeriesKey.of("m", Map.of("a", "b", "c", "d"))).isNotEqualTo(base);
        assertThat(SeriesKey.of("n", Map.of("a", "b"))).isNotEqualTo(base);
        assertThat(SeriesKey.of("m", Map.of("ab", ""))).isNotEqualTo(base);
    }

    @Test
    void ordersByMetricThenTagsWithAPrefixMetricFirst() {
        List<SeriesKey> keys = new ArrayList<>(List.of(
                SeriesKey.of("sys.cpu.user", Map.of("host", "b")),
                SeriesKey.of("sys.cpu.user", Map.of("host", "a")),
                SeriesKey.of("sys.cpu", Map.of("host", "z")),
                SeriesKey.of("sys.cpu.idle", Map.of("host", "a")),
                SeriesKey.of("sys.cpu.user", Map.of("dc", "x", "host", "a"))));
        Collections.shuffle(keys, new java.util.Random(7));
        Collections.sort(keys);

        assertThat(keys).extracting(SeriesKey::toString).containsExactly(
                "sys.cpu{host=z}",
                "sys.cpu.idle{host=a}",
                "sys.cpu.user{dc=x, host=a}",
                "sys.cpu.user{host=a}",
                "sys.cpu.user{host=b}");
    }

    @Test
    void keyOfAPointIsTheKeyOfItsSeries() {
        Point point = SamplePoints.put("sys.cpu.user", 1L, TimestampPrecision.SECONDS, 1L, Map.of("host", "web01", "dc", "lga"));

        assertThat(SeriesKey.of(point)).isEqualTo(SeriesKey.of("sys.cpu.user", Map.of("dc", "lga", "host", "web01")));
    }

    @Test
    void rejectsNamesThatContainNul() {
        assertThatThrownBy(() -> SeriesKey.of("bad\0metric", Map.of("a", "b")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("metric cannot contain NUL");
        assertThatThrownBy(() -> SeriesKey.of("m", Map.of("a", "b\0c")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("tag value cannot contain NUL");
    }

    @Test
    void rejectsBytesThatAreNotASeriesKey() {
        assertThatThrownBy(() -> SeriesKey.fromBytes(new byte[0])).hasMessageContaining("Not a series key");
        assertThatThrownBy(() -> SeriesKey.fromBytes("m\0a".getBytes(StandardCharsets.UTF_8)))
                .hasMessageContaining("1 separators");
    }

    @Test
    void keyIsImmutable() {
        SeriesKey key = SeriesKey.of("m", Map.of("a", "b"));
        byte[] bytes = key.toBytes();
        bytes[0] = 'x';

        assertThat(key.metric()).isEqualTo("m");
    }
}
