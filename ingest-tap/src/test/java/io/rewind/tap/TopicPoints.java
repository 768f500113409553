package io.rewind.tap;

import io.rewind.devstack.TopicRecords;
import io.rewind.schema.Point;
import io.rewind.schema.wire.SingleObjectWireFormat;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

/** Reads a points topic from the start, the way the archiver does (read_committed), as records with their keys. */
final class TopicPoints {
    private static final SingleObjectWireFormat<Point> FORMAT = new SingleObjectWireFormat<>(Point.class);

    record Record(String key, Point point, long timestamp, int partition) {
    }

    private TopicPoints() {
    }

    /**
     * Every record of the topic up to its end offsets once it holds at least {@code expected}: what is there, counted
     * where it was written, duplicates included; fails after the timeout.
     */
    static List<Record> read(String bootstrap, String topic, int expected, Duration timeout) {
        return TopicRecords.readToEnd(bootstrap, topic, expected, timeout).stream()
                .map(r -> new Record(new String(r.key(), StandardCharsets.UTF_8), FORMAT.decode(r.value()), r.timestamp(), r.partition()))
                .toList();
    }
}
