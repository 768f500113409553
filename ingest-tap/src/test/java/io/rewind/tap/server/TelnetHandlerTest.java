package io.rewind.tap.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.rewind.schema.Point;
import io.rewind.schema.wire.SchemaRegistryException;
import io.rewind.schema.wire.WireFormat;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TelnetHandlerTest {
    @TempDir
    Path dir;
    private Standalone tap;
    private EmbeddedChannel channel;

    @BeforeEach
    void start() throws Exception {
        tap = new Standalone(dir, Map.of());
        channel = new EmbeddedChannel(new ProtocolDetector(tap.context));
    }

    @AfterEach
    void stop() {
        channel.finishAndReleaseAll();
        tap.close();
    }

    private void send(String text) {
        channel.writeInbound(Unpooled.copiedBuffer(text, StandardCharsets.ISO_8859_1));
    }

    private String replies() {
        StringBuilder out = new StringBuilder();
        for (ByteBuf buf = channel.readOutbound(); buf != null; buf = channel.readOutbound()) {
            out.append(buf.toString(StandardCharsets.ISO_8859_1));
            buf.release();
        }
        return out.toString();
    }

    @Test
    void linesSplitAcrossReadsAndEndedByCrLfAreEachOnePoint() {
        send("put sys.cpu 1700000000 1 ho");
        send("st=a\r\nput sys.cpu 17000");
        send("00001 2.5 host=a\nput sys.cpu 1700000002 3 host=a\r\n");
        assertThat(replies()).isEmpty();
        assertThat(tap.spooled()).extracting(Point::getValue).containsExactly(1L, 2.5d, 3L);
        assertThat(tap.spooled()).allSatisfy(p -> assertThat(p.getTags()).isEqualTo(Map.of("host", "a")));
    }

    @Test
    void badLinesGetOpenTsdbsReplyAndTheGoodOnesAroundThemArePublished() {
        send("put m 1700000000 1 host=a\nput m 1700000000 abc host=a\n\nput m 1700000001 2 host=a\nversion\n");
        assertThat(replies()).isEqualTo("put: invalid value: Invalid character 'a' in abc\n"
                + "unknown command: .  Try `help'.\n" + TelnetHandler.VERSION);
        assertThat(tap.spooled()).extracting(Point::getValue).containsExactly(1L, 2L);
        assertThat(channel.isActive()).isTrue();
        assertThat(tap.metrics.registry().get("rewind.tap.points.received").tag("protocol", "telnet").counter().count()).isEqualTo(3);
        assertThat(tap.metrics.registry().get("rewind.tap.points.rejected").tag("reason", "value").counter().count()).isEqualTo(1);
    }

    @Test
    void nonAsciiBytesAreReadAsIso88591LikeOpenTsdb() {
        channel.writeInbound(Unpooled.wrappedBuffer("put temp\u00e9 1700000000 1 host=a\n".getBytes(StandardCharsets.ISO_8859_1)));
        assertThat(tap.spooled()).extracting(Point::getMetric).containsExactly("temp\u00e9");
    }

    @Test
    void binaryGarbageIsAnsweredAsUnknownCommandsAndCostsNothingElse() {
        channel.writeInbound(Unpooled.wrappedBuffer(new byte[] {0, (byte) 0xff, 1, 2, '\n'}));
        send("put m 1700000000 1 host=a\n");
        assertThat(replies()).startsWith("unknown command: ");
        assertThat(tap.spooled()).hasSize(1);
        assertThat(channel.isActive()).isTrue();
    }

    @Test
    void aLineOverTheLimitClosesTheConnectionAsATsdDoesAfterTheLinesBeforeIt() {
        send("put m 1700000000 1 host=a\nput m 1700000001 1 host=" + "x".repeat(1100));
        channel.runPendingTasks();
        assertThat(tap.spooled()).hasSize(1);
        assertThat(channel.isActive()).isFalse();
        assertThat(tap.metrics.registry().get("rewind.tap.points.rejected").tag("reason", "line_too_long").counter().count()).isEqualTo(1);
    }

    @Test
    void aPointThatCannotBeEncodedForKafkaIsCountedAsMissedAndTheConnectionGoesOn() throws Exception {
        try (Standalone registryDown = new Standalone(dir.resolve("registry-down"), Map.of(), new RegistryDown())) {
            EmbeddedChannel down = new EmbeddedChannel(new ProtocolDetector(registryDown.context));
            ByteBuf read = Unpooled.copiedBuffer("put m 1700000000 1 host=a\nversion\n", StandardCharsets.ISO_8859_1);
            down.writeInbound(read);
            assertThat(read.refCnt()).as("references left to the read's buffer").isZero();
            assertThat(down.isActive()).isTrue();
            ByteBuf reply = down.readOutbound();
            assertThat(reply.toString(StandardCharsets.ISO_8859_1)).isEqualTo(TelnetHandler.VERSION);
            reply.release();
            assertThat(registryDown.spooled()).isEmpty();
            assertThat(registryDown.metrics.registry().get("rewind.tap.points.missed").counter().count()).isEqualTo(1);
            assertThat(registryDown.metrics.registry().get("rewind.tap.gaps.open").gauge().value()).as("its metric-hour is a gap").isEqualTo(1);
            down.finishAndReleaseAll();
        }
    }

    /** Confluent's wire format with its Schema Registry unreachable: every encode fails. */
    private static final class RegistryDown implements WireFormat<Point> {
        @Override
        public byte[] encode(Point record) {
            throw new SchemaRegistryException("Schema Registry at http://registry:8081/ cannot be reached", true, null);
        }

        @Override
        public byte[] header() {
            throw new SchemaRegistryException("Schema Registry at http://registry:8081/ cannot be reached", true, null);
        }

        @Override
        public Point decode(byte[] bytes) {
            throw new SchemaRegistryException("Schema Registry at http://registry:8081/ cannot be reached", true, null);
        }

        @Override
        public String name() {
            return "confluent (registry down)";
        }
    }
}
