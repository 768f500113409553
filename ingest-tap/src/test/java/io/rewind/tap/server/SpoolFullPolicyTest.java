package io.rewind.tap.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.rewind.schema.Point;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kafka away and the spool full (1 MiB): {@code block} stops reading from the client and keeps the
 * points that did not fit waiting, none dropped; {@code pass-through} keeps reading and counts every
 * point the backup missed. Either way the spool holds the first points written, in order.
 */
class SpoolFullPolicyTest {
    private static final int LINES_PER_READ = 100;

    @TempDir
    Path dir;

    @Test
    void blockStopsReadingAndKeepsThePointsThatDidNotFitWaiting() throws Exception {
        try (Standalone tap = new Standalone(dir, Map.of("spool.max.bytes", "1MiB", "spool.full.policy", "block"))) {
            EmbeddedChannel channel = new EmbeddedChannel(new ProtocolDetector(tap.context));
            long sent = 0;
            while (channel.config().isAutoRead() && sent < 100_000) {
                send(channel, sent, LINES_PER_READ);
                sent += LINES_PER_READ;
            }
            assertThat(channel.config().isAutoRead()).as("reading stopped once the spool was full").isFalse();
            List<Point> spooled = tap.spooled();
            assertThat(spooled).isNotEmpty().extracting(Point::getValue).containsExactlyElementsOf(values(0, spooled.size()));
            assertThat(count(tap, "rewind.tap.points.blocked")).as("points waiting for room").isEqualTo(sent - spooled.size());
            assertThat(count(tap, "rewind.tap.points.missed")).isZero();
            channel.finishAndReleaseAll();
        }
    }

    @Test
    void passThroughKeepsReadingAndCountsEveryPointTheBackupMissed() throws Exception {
        try (Standalone tap = new Standalone(dir, Map.of("spool.max.bytes", "1MiB", "spool.full.policy", "pass-through"))) {
            EmbeddedChannel channel = new EmbeddedChannel(new ProtocolDetector(tap.context));
            int sent = 30_000;
            for (int i = 0; i < sent; i += LINES_PER_READ) {
                send(channel, i, LINES_PER_READ);
                assertThat(channel.config().isAutoRead()).isTrue();
            }
            List<Point> spooled = tap.spooled();
            assertThat(spooled.size()).as("the spool filled up").isBetween(1, sent - 1);
            assertThat(spooled).extracting(Point::getValue).containsExactlyElementsOf(values(0, spooled.size()));
            assertThat(count(tap, "rewind.tap.points.missed")).isEqualTo(sent - spooled.size());
            assertThat(count(tap, "rewind.tap.points.blocked")).isZero();
            channel.finishAndReleaseAll();
        }
    }

    /** One read of {@code lines} put lines whose values are {@code from}, {@code from + 1}, ... */
    private static void send(EmbeddedChannel channel, long from, int lines) {
        StringBuilder text = new StringBuilder();
        for (long i = from; i < from + lines; i++) {
            text.append("put sys.cpu ").append(1_700_000_000L + i).append(' ').append(i).append(" host=a\n");
        }
        channel.writeInbound(Unpooled.copiedBuffer(text, StandardCharsets.ISO_8859_1));
    }

    private static List<Object> values(long from, long to) {
        return LongStream.range(from, to).<Object>mapToObj(Long::valueOf).toList();
    }

    private static double count(Standalone tap, String counter) {
        return tap.metrics.registry().get(counter).counter().count();
    }
}
