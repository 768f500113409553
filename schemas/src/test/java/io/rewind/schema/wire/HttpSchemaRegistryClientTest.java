package io.rewind.schema.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.rewind.schema.CatalogRecord;
import io.rewind.schema.Point;
import io.rewind.schema.SamplePoints;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Optional;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class HttpSchemaRegistryClientTest {
    private FakeSchemaRegistry registry;
    private HttpSchemaRegistryClient client;

    @BeforeEach
    void start() throws Exception {
        registry = new FakeSchemaRegistry();
        client = new HttpSchemaRegistryClient(registry.url(), Optional.empty(), Duration.ofSeconds(5));
    }

    @AfterEach
    void stop() {
        registry.close();
    }

    @Test
    void registersOncePerSubjectAndSchemaThenAnswersFromItsCache() {
        int first = client.register("points-value", Point.getClassSchema());
        int second = client.register("points-value", Point.getClassSchema());
        int other = client.register("catalog-value", CatalogRecord.getClassSchema());

        assertThat(second).isEqualTo(first);
        assertThat(other).isNotEqualTo(first);
        assertThat(registry.requests()).containsExactly(
                "POST /subjects/points-value/versions", "POST /subjects/catalog-value/versions");
    }

    @Test
    void fetchesASchemaByIdOnce() {
        int id = new HttpSchemaRegistryClient(registry.url(), Optional.empty(), Duration.ofSeconds(5))
                .register("points-value", Point.getClassSchema());

        assertThat(client.schemaById(id)).isEqualTo(Point.getClassSchema());
        assertThat(client.schemaById(id)).isEqualTo(Point.getClassSchema());
        assertThat(registry.requests()).filteredOn(r -> r.startsWith("GET")).containsExactly("GET /schemas/ids/" + id);
    }

    @Test
    void reportsTheRegistrysOwnErrorForAnUnknownId() {
        assertThatThrownBy(() -> client.schemaById(99))
                .isInstanceOf(SchemaRegistryException.class)
                .hasMessageContaining("refused GET /schemas/ids/99: HTTP 404, error 40403: Schema 99 not found")
                .matches(e -> !((SchemaRegistryException) e).retriable());
    }

    @Test
    void serverErrorsAreRetriable() {
        registry.failWith(503);

        assertThatThrownBy(() -> client.register("points-value", Point.getClassSchema()))
                .isInstanceOf(SchemaRegistryException.class)
                .hasMessageContaining("HTTP 503")
                .matches(e -> ((SchemaRegistryException) e).retriable());
    }

    @Test
    void anUnreachableRegistryIsRetriableAndNamed() throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        URI nowhere = URI.create("http://127.0.0.1:" + port);
        HttpSchemaRegistryClient unreachable = new HttpSchemaRegistryClient(nowhere, Optional.empty(), Duration.ofSeconds(2));

        assertThatThrownBy(() -> unreachable.register("points-value", Point.getClassSchema()))
                .isInstanceOf(SchemaRegistryException.class)
                .hasMessageContaining("Schema Registry at " + nowhere + "/ cannot be reached")
                .matches(e -> ((SchemaRegistryException) e).retriable());
    }

    @Test
    void sendsBasicAuthenticationWhenConfigured() {
        new HttpSchemaRegistryClient(registry.url(), Optional.of("rewind:secret"), Duration.ofSeconds(5))
                .register("points-value", Point.getClassSchema());

        assertThat(registry.authorizations()).containsExactly(
                "Basic " + Base64.getEncoder().encodeToString("rewind:secret".getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void readsPointsWrittenWithAnOlderSchemaOfTheSubject() throws Exception {
        Schema older = SchemaBuilder.record("Point").namespace("io.rewind.schema").fields()
                .requiredString("metric")
                .requiredLong("timestampMs")
                .name("precision").type(Point.getClassSchema().getField("precision").schema()).noDefault()
                .name("value").type(Point.getClassSchema().getField("value").schema()).withDefault(null)
                .name("tags").type().map().values().stringType().noDefault()
                .endRecord();
        int olderId = client.register("points-value", older);
        GenericRecord written = new GenericData.Record(older);
        written.put("metric", "sys.cpu.user");
        written.put("timestampMs", 1_763_726_400_000L);
        written.put("precision", new GenericData.EnumSymbol(older.getField("precision").schema(), "SECONDS"));
        written.put("value", 7L);
        written.put("tags", java.util.Map.of("host", "web01"));
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        out.write(0);
        out.write(ByteBuffer.allocate(4).putInt(olderId).array());
        BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
        new GenericDatumWriter<GenericRecord>(older).write(written, encoder);
        encoder.flush();

        Point read = new ConfluentWireFormat<>(client, "points-value", Point.class).decode(out.toByteArray());

        assertThat(read).isEqualTo(SamplePoints.put("sys.cpu.user", 1_763_726_400_000L,
                io.rewind.schema.TimestampPrecision.SECONDS, 7L, java.util.Map.of("host", "web01")));
    }
}
