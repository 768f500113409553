package io.rewind.restore.source;

import io.rewind.archive.ArchiveLayout;
import io.rewind.archive.segment.SeriesId;
import io.rewind.archive.segment.SeriesPoints;
import io.rewind.restore.plan.Selection;
import io.rewind.schema.Point;
import io.rewind.schema.SeriesKey;
import io.rewind.schema.wire.WireFormat;
import io.rewind.schema.wire.WireFormatException;
import io.rewind.schema.wire.WireFormats;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.OffsetOutOfRangeException;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * The points topic past what the archive holds: what lets a restore reach the last point the tap acknowledged
 * (guarantee 7) while Kafka still holds it.
 *
 * <p>Where the archive stands in each partition is the archiver's committed offset (its Kafka Streams application id is
 * the consumer group): every record before it is in a durable file (guarantee 2). Without a committed offset it is just
 * past the last offset of the partition's archived files. Both are read before the archive is scanned, so a file the
 * archiver writes meanwhile only repeats versions the tail also holds, which the merge reads once. The tail ends at each
 * partition's end offset read after the scan: past every record of every file the scan saw, so that the archive and the
 * tail hold together exactly the records before it, what the tap had acknowledged when the scan ended.
 *
 * <p>Kafka's retention may delete the start of a partition's tail between the snapshot and the read (the scan of an
 * archive on S3 takes minutes). The consumer never resets an offset on its own ({@code auto.offset.reset=none}: it would
 * jump to the end and skip the whole tail); the read continues from the log start instead, and the tail's positions
 * count the offsets lost as deleted, which {@link TailRead#incomplete()} reports.
 */
public final class KafkaTail {
    /** The archiver's default {@code application.id}. */
    public static final String DEFAULT_ARCHIVER_ID = "rewind-archiver";

    private KafkaTail() {
    }

    /**
     * @param kafka consumer settings, {@code bootstrap.servers} included
     * @param archiverId the archiver's {@code application.id}: the consumer group whose committed offsets say what is archived
     * @param maxPoints the most points of the selection the tail may hold in memory
     */
    public record Settings(Map<String, String> kafka, String topic, String archiverId, Optional<URI> schemaRegistry,
            Duration timeout, long maxPoints) {
        String bootstrap() {
            return kafka.getOrDefault("bootstrap.servers", "?");
        }
    }

    /** The topic's offsets, and the archiver's, read before the archive is scanned. */
    public record Snapshot(Settings settings, Map<Integer, long[]> logRange, Map<Integer, Long> committed) {
        /**
         * Each partition's position, given the offset just past each partition's archived files (from a scan that
         * started after this snapshot was taken), used where the archiver has committed nothing. The log starts are read
         * again: retention may have deleted records while the archive was scanned.
         */
        public List<TailPosition> positions(Map<Integer, Long> pastFiles) {
            return positions(pastFiles, settings == null ? Map.of() : logStarts(settings));
        }

        /** The positions, with the log starts read after the scan where there are. */
        List<TailPosition> positions(Map<Integer, Long> pastFiles, Map<Integer, Long> logStartsNow) {
            List<TailPosition> positions = new ArrayList<>();
            logRange.forEach((partition, range) -> {
                Long committedOffset = committed.get(partition);
                Long files = pastFiles.get(partition);
                TailPosition p = committedOffset != null ? new TailPosition(partition, range[0], committedOffset, TailPosition.Source.COMMITTED, range[1])
                        : files != null ? new TailPosition(partition, range[0], files, TailPosition.Source.FILES, range[1])
                        : new TailPosition(partition, range[0], 0, TailPosition.Source.NOTHING, range[1]);
                positions.add(p.withLogStart(logStartsNow.getOrDefault(partition, range[0])));
            });
            return positions;
        }

        /**
         * The positions, each partition's log start and end offset read now, in one consumer. Read after the archive was
         * scanned, the end lies past every record of every file the scan saw (the archiver writes only records it has read),
         * so that the archive and the tail together hold exactly the records before it: where a follower takes over
         * ({@code restore --follow}); the log start says what retention deleted meanwhile.
         */
        public List<TailPosition> positionsAfterScan(Map<Integer, Long> pastFiles) {
            if (settings == null) {
                return positions(pastFiles, Map.of());
            }
            try (KafkaConsumer<byte[], byte[]> consumer = consumer(settings)) {
                List<TopicPartition> partitions = logRange.keySet().stream().map(p -> new TopicPartition(settings.topic(), p)).toList();
                Map<Integer, Long> starts = new TreeMap<>();
                consumer.beginningOffsets(partitions, settings.timeout()).forEach((tp, start) -> starts.put(tp.partition(), start));
                Map<Integer, long[]> range = new TreeMap<>();
                consumer.endOffsets(partitions, settings.timeout())
                        .forEach((tp, end) -> range.put(tp.partition(), new long[] {logRange.get(tp.partition())[0], end}));
                return new Snapshot(settings, range, committed).positions(pastFiles, starts);
            } catch (KafkaException e) {
                throw new IllegalStateException("reading the log start and end offsets of the points topic '" + settings.topic()
                        + "' from Kafka at " + settings.bootstrap() + ": " + e.getMessage(), e);
            }
        }
    }

    /** The first offset Kafka holds in each partition now. */
    private static Map<Integer, Long> logStarts(Settings settings) {
        try (KafkaConsumer<byte[], byte[]> consumer = consumer(settings)) {
            Map<Integer, Long> starts = new TreeMap<>();
            consumer.beginningOffsets(partitions(consumer, settings), settings.timeout())
                    .forEach((tp, start) -> starts.put(tp.partition(), start));
            return starts;
        } catch (KafkaException e) {
            throw new IllegalStateException("reading the log start offsets of the points topic '" + settings.topic() + "' from Kafka at "
                    + settings.bootstrap() + ": " + e.getMessage(), e);
        }
    }

    /** Reads the log start and end offsets of every partition, and the archiver's committed offsets. */
    public static Snapshot snapshot(Settings settings) {
        try (KafkaConsumer<byte[], byte[]> consumer = consumer(settings); Admin admin = Admin.create(admin(settings))) {
            List<TopicPartition> partitions = partitions(consumer, settings);
            Map<TopicPartition, Long> start = consumer.beginningOffsets(partitions, settings.timeout());
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions, settings.timeout());
            Map<Integer, long[]> range = new TreeMap<>();
            partitions.forEach(tp -> range.put(tp.partition(), new long[] {start.get(tp), end.get(tp)}));
            Map<Integer, Long> committed = new HashMap<>();
            Map<TopicPartition, OffsetAndMetadata> offsets = admin.listConsumerGroupOffsets(settings.archiverId())
                    .partitionsToOffsetAndMetadata().get(settings.timeout().toMillis(), TimeUnit.MILLISECONDS);
            offsets.forEach((tp, offset) -> {
                if (tp.topic().equals(settings.topic()) && offset != null) {
                    committed.put(tp.partition(), offset.offset());
                }
            });
            return new Snapshot(settings, range, committed);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while reading the offsets of '" + settings.topic() + "'", e);
        } catch (ExecutionException | TimeoutException | KafkaException e) {
            Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
            throw new IllegalStateException("reading the offsets of the points topic '" + settings.topic() + "' and of the archiver '"
                    + settings.archiverId() + "' from Kafka at " + settings.bootstrap() + ": " + cause.getMessage(), cause);
        }
    }

    /** The offset just past the last one each partition's archived files cover (the baseline's files have none). */
    public static Map<Integer, Long> pastFiles(List<ArchiveIndex.Unit> units) {
        Map<Integer, Long> past = new TreeMap<>();
        units.forEach(u -> u.files().forEach(f -> {
            if (!f.name().isBaseline() && f.header().partition() >= 0 && f.header().lastOffset() >= 0) {
                past.merge(f.header().partition(), f.header().lastOffset() + 1, Math::max);
            }
        }));
        return past;
    }

    /**
     * When the tap received the first record each partition's archive lacks, for partitions with records past the archive:
     * how far behind the archive is, in time.
     */
    public static Map<Integer, Long> firstUnarchivedTimes(Settings settings, List<TailPosition> positions) {
        Map<Integer, Long> times = new TreeMap<>();
        List<TailPosition> behind = positions.stream().filter(p -> p.records() > 0).toList();
        if (behind.isEmpty()) {
            return times;
        }
        try (KafkaConsumer<byte[], byte[]> consumer = consumer(settings)) {
            consumer.assign(behind.stream().map(p -> new TopicPartition(settings.topic(), p.partition())).toList());
            behind.forEach(p -> consumer.seek(new TopicPartition(settings.topic(), p.partition()), p.from()));
            long deadline = System.nanoTime() + settings.timeout().toNanos();
            while (times.size() < behind.size() && System.nanoTime() < deadline) {
                ConsumerRecords<byte[], byte[]> batch;
                try {
                    batch = consumer.poll(Duration.ofMillis(200));
                } catch (OffsetOutOfRangeException deletedSince) {
                    seekToLogStart(consumer, deletedSince, settings.timeout());
                    continue;
                }
                for (ConsumerRecord<byte[], byte[]> record : batch) {
                    if (times.putIfAbsent(record.partition(), record.timestamp()) == null) {
                        consumer.pause(List.of(new TopicPartition(record.topic(), record.partition())));
                    }
                }
            }
        } catch (KafkaException e) {
            throw new IllegalStateException("reading '" + settings.topic() + "' from " + settings.bootstrap() + ": " + e.getMessage(), e);
        }
        return times;
    }

    /** What was read: per partition, the series it holds in the selection's range. */
    public record TailRead(List<TailPosition> positions, Map<Integer, Map<SeriesId, SeriesPoints>> series, long points, long records,
            long undecodable) {
        /** Partitions whose needed records Kafka has deleted. */
        public List<TailPosition> incomplete() {
            return positions.stream().filter(p -> p.deleted() > 0).toList();
        }
    }

    /**
     * Reads every partition from its {@link TailPosition#from()} to its end, keeping the points in the selection's range whose
     * series it selects, with the record's timestamp (when the tap received the point) as ingest time, as the archiver does.
     * Every version is kept: the as-of rule is the merge's. Where retention has deleted more since the positions were read,
     * the read starts at the log start, and the tail's positions count what was lost.
     */
    public static TailRead read(Settings settings, List<TailPosition> positions, Selection selection) {
        try (KafkaConsumer<byte[], byte[]> consumer = consumer(settings)) {
            return read(consumer, settings, positions, selection);
        } catch (KafkaException e) {
            throw new IllegalStateException("reading the Kafka tail of '" + settings.topic() + "' from " + settings.bootstrap() + ": "
                    + e.getMessage(), e);
        }
    }

    /** {@link #read(Settings, List, Selection)} with this consumer. */
    static TailRead read(Consumer<byte[], byte[]> consumer, Settings settings, List<TailPosition> positions, Selection selection) {
        Predicate<SeriesId> filter = selection.seriesFilter();
        WireFormat<Point> format = WireFormats.forTopic(settings.topic(), Point.class, settings.schemaRegistry(), Optional.empty());
        Map<Integer, Map<SeriesId, SeriesPoints>> series = new TreeMap<>();
        long points = 0;
        long records = 0;
        long undecodable = 0;
        Map<Integer, TailPosition> byPartition = new HashMap<>();
        positions.forEach(p -> byPartition.put(p.partition(), p));
        Map<TopicPartition, Long> ends = new HashMap<>();
        for (TailPosition p : positions) {
            if (p.records() > 0) {
                ends.put(new TopicPartition(settings.topic(), p.partition()), p.end());
            }
        }
        if (ends.isEmpty()) {
            return new TailRead(positions, series, 0, 0, 0);
        }
        consumer.assign(ends.keySet());
        positions.stream().filter(p -> p.records() > 0)
                .forEach(p -> consumer.seek(new TopicPartition(settings.topic(), p.partition()), p.from()));
        long deadline = System.nanoTime() + settings.timeout().toNanos();
        while (!ends.isEmpty()) {
            ConsumerRecords<byte[], byte[]> batch;
            try {
                batch = consumer.poll(Duration.ofMillis(500));
            } catch (OffsetOutOfRangeException deletedSince) {
                seekToLogStart(consumer, deletedSince, settings.timeout())
                        .forEach((tp, start) -> byPartition.computeIfPresent(tp.partition(), (k, p) -> p.withLogStart(start)));
                batch = ConsumerRecords.empty();
            }
            if (batch.isEmpty() && System.nanoTime() > deadline) {
                throw new IllegalStateException("reading the Kafka tail of '" + settings.topic() + "': no record for "
                        + settings.timeout() + " before the end of partition(s) " + ends.keySet());
            }
            for (ConsumerRecord<byte[], byte[]> record : batch) {
                TopicPartition tp = new TopicPartition(record.topic(), record.partition());
                Long end = ends.get(tp);
                if (end == null || record.offset() >= end) {
                    continue;
                }
                records++;
                Point point;
                try {
                    point = format.decode(record.value());
                } catch (WireFormatException | NullPointerException e) {
                    undecodable++; // the archiver skips it too
                    continue;
                }
                if (!selection.inRange(point.getTimestampMs())) {
                    continue;
                }
                SeriesId id = new SeriesId(SeriesKey.of(point), point.getKind(), point.getRollup());
                if (!filter.test(id)) {
                    continue;
                }
                series.computeIfAbsent(record.partition(), p -> new HashMap<>())
                        .computeIfAbsent(id, i -> new SeriesPoints(i, 8)).add(point, record.timestamp());
                if (++points > settings.maxPoints()) {
                    throw new IllegalStateException("the Kafka tail holds more than " + settings.maxPoints() + " points of the"
                            + " selection, more than a restore keeps in memory: let the archiver catch up, narrow the selection,"
                            + " or raise --tail-max-points (about 40 bytes of heap each)");
                }
            }
            for (TopicPartition tp : List.copyOf(ends.keySet())) {
                if (consumer.position(tp, settings.timeout()) >= ends.get(tp)) {
                    ends.remove(tp);
                    consumer.pause(List.of(tp));
                }
            }
            if (!batch.isEmpty()) {
                deadline = System.nanoTime() + settings.timeout().toNanos();
            }
        }
        return new TailRead(positions.stream().map(p -> byPartition.get(p.partition())).toList(), series, points, records, undecodable);
    }

    /**
     * Moves the partitions whose offset Kafka no longer holds to their log start, and returns it: what retention deleted is
     * lost, what follows is still read. An offset past the end of the log (truncated, or the topic recreated) is no
     * deletion, and fails.
     */
    public static Map<TopicPartition, Long> seekToLogStart(Consumer<?, ?> consumer, OffsetOutOfRangeException e, Duration timeout) {
        Map<TopicPartition, Long> starts = consumer.beginningOffsets(e.offsetOutOfRangePartitions().keySet(), timeout);
        e.offsetOutOfRangePartitions().forEach((tp, offset) -> {
            long start = starts.get(tp);
            if (start <= offset) {
                throw new IllegalStateException("offset " + offset + " of " + tp + " is past the end of its log, which starts at " + start
                        + " (truncated, or the topic recreated): the Kafka tail cannot tell what the archive lacks");
            }
            consumer.seek(tp, start);
        });
        return starts;
    }

    private static List<TopicPartition> partitions(KafkaConsumer<byte[], byte[]> consumer, Settings settings) {
        var info = consumer.partitionsFor(settings.topic(), settings.timeout());
        if (info == null || info.isEmpty()) {
            throw new IllegalArgumentException("the points topic '" + settings.topic() + "' does not exist on " + settings.bootstrap());
        }
        return info.stream().map(p -> new TopicPartition(settings.topic(), p.partition())).toList();
    }

    private static Properties admin(Settings settings) {
        Properties props = new Properties();
        props.putAll(settings.kafka());
        props.putIfAbsent("client.id", "rewind-restore-admin");
        return props;
    }

    private static KafkaConsumer<byte[], byte[]> consumer(Settings settings) {
        return new KafkaConsumer<>(consumerProperties(settings), new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    /** Settings of a consumer that reads the points topic as a restore does: committed records only, never a reset on its own. */
    public static Properties consumerProperties(Settings settings) {
        Properties props = new Properties();
        props.putAll(settings.kafka());
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "none"); // out of range is a loss to count, never a jump to the end
        props.putIfAbsent(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "5000");
        props.putIfAbsent(ConsumerConfig.CLIENT_ID_CONFIG, "rewind-restore-tail");
        return props;
    }
}
