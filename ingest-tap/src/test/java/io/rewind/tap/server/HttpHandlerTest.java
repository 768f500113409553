package io.rewind.tap.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.rewind.schema.Point;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A standalone tap's HTTP side on an {@link EmbeddedChannel}: requests in as bytes, answers out as bytes. */
@Timeout(60)
class HttpHandlerTest {
    private static final Pattern STATUS = Pattern.compile("HTTP/1\\.1 (\\d{3}) ");
    private static final String POINT = "{\"metric\":\"m\",\"timestamp\":1700000000,\"value\":1,\"tags\":{\"host\":\"a\"}}";

    @TempDir
    Path dir;

    @Test
    void aGzipBodyInflatingPastTheLimitGets413AndTheNextRequestOnTheConnectionIsAnswered() throws Exception {
        try (Standalone tap = new Standalone(dir, Map.of("http.max.body.bytes", "64KiB"))) {
            EmbeddedChannel channel = new EmbeddedChannel(new ProtocolDetector(tap.context));
            byte[] bomb = gzip("[" + " ".repeat(16 << 20) + POINT + "]");
            assertThat(bomb.length).as("the compressed body is well within the limit").isLessThan(64 << 10);
            channel.writeInbound(request("/api/put", bomb, "Content-Encoding: gzip\r\n"));
            channel.writeInbound(request("/api/put", POINT.getBytes(StandardCharsets.UTF_8), ""));
            String answers = answers(channel, 2);
            assertThat(statuses(answers)).containsExactly("413", "204");
            assertThat(answers).contains("inflates to more than http.max.body.bytes (65536 bytes)");
            assertThat(tap.spooled()).extracting(Point::getMetric).containsExactly("m");
            assertThat(tap.metrics.registry().get("rewind.tap.points.rejected").tag("reason", "body_too_large").counter().count()).isEqualTo(1);
            assertThat(channel.isActive()).isTrue();
            channel.finishAndReleaseAll();
        }
    }

    @Test
    void pipelinedRequestsAreEachAnsweredInOrder() throws Exception {
        try (Standalone tap = new Standalone(dir, Map.of())) {
            EmbeddedChannel channel = new EmbeddedChannel(new ProtocolDetector(tap.context));
            ByteBuf three = Unpooled.wrappedBuffer(request("/api/put?details", POINT.getBytes(StandardCharsets.UTF_8), ""),
                    Unpooled.copiedBuffer("GET /api/version HTTP/1.1\r\nHost: tap\r\n\r\n", StandardCharsets.ISO_8859_1),
                    request("/api/put", "{\"metric\":\"m\"}".getBytes(StandardCharsets.UTF_8), ""));
            channel.writeInbound(three);
            assertThat(statuses(answers(channel, 3))).containsExactly("200", "200", "400");
            channel.finishAndReleaseAll();
        }
    }

    private static ByteBuf request(String uri, byte[] body, String headers) {
        ByteBuf request = Unpooled.buffer();
        request.writeCharSequence("POST " + uri + " HTTP/1.1\r\nHost: tap\r\nContent-Type: application/json\r\n" + headers
                + "Content-Length: " + body.length + "\r\n\r\n", StandardCharsets.ISO_8859_1);
        return request.writeBytes(body);
    }

    private static byte[] gzip(String text) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (GZIPOutputStream out = new GZIPOutputStream(bytes)) {
            out.write(text.getBytes(StandardCharsets.UTF_8));
        }
        return bytes.toByteArray();
    }

    /** What the tap wrote back, once it holds {@code count} answers (some complete on the spool's syncer thread); fails after 10 s. */
    private static String answers(EmbeddedChannel channel, int count) {
        StringBuilder out = new StringBuilder();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (statuses(out.toString()).size() < count) {
            if (System.nanoTime() > deadline) {
                fail("Timed out waiting for " + count + " answers; got: " + out);
            }
            channel.runPendingTasks();
            for (ByteBuf buf = channel.readOutbound(); buf != null; buf = channel.readOutbound()) {
                out.append(buf.toString(StandardCharsets.ISO_8859_1));
                buf.release();
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
        return out.toString();
    }

    private static java.util.List<String> statuses(String answers) {
        java.util.List<String> statuses = new java.util.ArrayList<>();
        Matcher matcher = STATUS.matcher(answers);
        while (matcher.find()) {
            statuses.add(matcher.group(1));
        }
        return statuses;
    }
}
