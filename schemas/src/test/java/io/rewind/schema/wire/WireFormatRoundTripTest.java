package io.rewind.schema.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.rewind.schema.CatalogRecord;
import io.rewind.schema.Point;
import io.rewind.schema.SamplePoints;
import io.rewind.schema.SeriesBlock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.apache.avro.specific.SpecificRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every schema survives both wire formats bit for bit. */
class WireFormatRoundTripTest {
    private static FakeSchemaRegistry registry;

    @BeforeAll
    static void startRegistry() throws Exception {
        registry = new FakeSchemaRegistry();
    }

    @AfterAll
    static void stopRegistry() {
        registry.close();
    }

    static Stream<Arguments> everySchemaInBothFormats() {
        List<Arguments> cases = new ArrayList<>();
        for (String format : List.of("single-object", "confluent")) {
            for (Point point : SamplePoints.everyKind()) {
                cases.add(Arguments.of(format, Point.class, point));
            }
            cases.add(Arguments.of(format, CatalogRecord.class, SamplePoints.catalogRecord()));
            cases.add(Arguments.of(format, SeriesBlock.class, SamplePoints.seriesBlock()));
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("everySchemaInBothFormats")
    <T extends SpecificRecord> void recordReadBackEqualsRecordWritten(String format, Class<T> type, T record) {
        WireFormat<T> wire = format(format, type);

        byte[] bytes = wire.encode(record);
        T back = wire.decode(bytes);

        assertThat(back).isEqualTo(record);
    }

    @Test
    void singleObjectBytesAreAvrosOwnMessageEncoding() throws Exception {
        WireFormat<Point> wire = new SingleObjectWireFormat<>(Point.class);
        org.apache.avro.message.BinaryMessageEncoder<Point> avro = Point.getEncoder();
        for (Point point : SamplePoints.everyKind()) {
            java.nio.ByteBuffer expected = avro.encode(point);
            byte[] bytes = new byte[expected.remaining()];
            expected.get(bytes);

            assertThat(wire.encode(point)).isEqualTo(bytes);
        }
    }

    @Test
    void pointKeepsIntegerAndFloatingPointValuesApart() {
        WireFormat<Point> wire = new SingleObjectWireFormat<>(Point.class);
        Point integer = SamplePoints.everyKind().get(0);
        Point floating = SamplePoints.everyKind().get(1);

        assertThat(wire.decode(wire.encode(integer)).getValue()).isInstanceOf(Long.class).isEqualTo(42L);
        assertThat(wire.decode(wire.encode(floating)).getValue()).isInstanceOf(Double.class).isEqualTo(42.5d);
    }

    @Test
    void singleObjectRefusesBytesWrittenForAnotherSchema() {
        byte[] catalogBytes = new SingleObjectWireFormat<>(CatalogRecord.class).encode(SamplePoints.catalogRecord());

        assertThatThrownBy(() -> new SingleObjectWireFormat<>(Point.class).decode(catalogBytes))
                .isInstanceOf(WireFormatException.class)
                .hasMessageContaining("as a Point in avro-single-object");
    }

    @Test
    void singleObjectRefusesGarbage() {
        assertThatThrownBy(() -> new SingleObjectWireFormat<>(Point.class).decode(new byte[] {1, 2, 3}))
                .isInstanceOf(WireFormatException.class)
                .hasMessageStartingWith("Cannot decode 3 bytes as a Point in avro-single-object");
    }

    @Test
    void confluentFormatRefusesBytesWithoutItsMagicByte() {
        byte[] singleObject = new SingleObjectWireFormat<>(Point.class).encode(SamplePoints.everyKind().get(0));

        assertThatThrownBy(() -> format("confluent", Point.class).decode(singleObject))
                .isInstanceOf(WireFormatException.class)
                .hasMessageContaining("expected magic byte 0 and a schema id, found byte -61");
    }

    @Test
    void confluentFormatStartsWithMagicByteAndTheRegisteredSchemaId() {
        WireFormat<Point> wire = format("confluent", Point.class);
        byte[] bytes = wire.encode(SamplePoints.everyKind().get(0));
        int id = new HttpSchemaRegistryClient(registry.url(), Optional.empty(), Duration.ofSeconds(5))
                .register("points-value", Point.getClassSchema());

        assertThat(bytes[0]).isEqualTo((byte) 0);
        assertThat(java.nio.ByteBuffer.wrap(bytes, 1, 4).getInt()).isEqualTo(id);
    }

    private static <T extends SpecificRecord> WireFormat<T> format(String name, Class<T> type) {
        return "confluent".equals(name)
                ? WireFormats.forTopic("points", type, Optional.of(registry.url()), Optional.empty())
                : WireFormats.forTopic("points", type, Optional.empty(), Optional.empty());
    }
}
