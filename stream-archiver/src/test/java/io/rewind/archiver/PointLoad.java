package io.rewind.archiver;

import io.rewind.schema.Point;
import io.rewind.schema.SeriesKey;
import io.rewind.schema.TimestampPrecision;
import io.rewind.schema.wire.SingleObjectWireFormat;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The archiver ITs' workload, sent the way the tap sends: series key as the record key, the receive
 * time as the record timestamp. Points come minute by minute of event time, shuffled within each
 * minute, and a share of them is held back and sent last, hours late. Remembers every version sent.
 */
final class PointLoad {
    private static final SingleObjectWireFormat<Point> FORMAT = new SingleObjectWireFormat<>(Point.class);
    private final List<Point> ordered;
    private final List<Point> late;
    private final Map<String, Integer> sent = new HashMap<>();

    /**
     * @param series    how many series (ten metrics per host)
     * @param ticks     points per series, spread evenly over {@code spanMs} from {@code startMs}
     * @param lateShare share of the points held back and sent after all the others
     */
    PointLoad(long startMs, long spanMs, int series, int ticks, double lateShare, long seed) {
        Random random = new Random(seed);
        List<List<Point>> minutes = new ArrayList<>();
        List<Point> held = new ArrayList<>();
        long step = spanMs / ticks;
        for (int s = 0; s < series; s++) {
            Map<String, String> tags = new LinkedHashMap<>();
            tags.put("host", "host" + (s / 10));
            tags.put("dc", s % 3 == 0 ? "fra" : "lga");
            String metric = "it.metric" + (s % 10);
            boolean millis = s % 4 == 0;
            for (int k = 0; k < ticks; k++) {
                long t = startMs + k * step + (millis ? s % 1000 : 0);
                if (!millis) {
                    t = t / 1000 * 1000;
                }
                Object value = s % 2 == 0 ? (Object) (long) (k * 7 + s) : (Object) (Math.round((k % 100) * 0.37 * 100) / 100.0 + s);
                Point p = Point.newBuilder().setMetric(metric).setTags(new LinkedHashMap<>(tags)).setTimestampMs(t)
                        .setPrecision(millis ? TimestampPrecision.MILLISECONDS : TimestampPrecision.SECONDS).setValue(value).build();
                if (random.nextDouble() < lateShare) {
                    held.add(p);
                    continue;
                }
                int minute = (int) ((t - startMs) / 60_000);
                while (minutes.size() <= minute) {
                    minutes.add(new ArrayList<>());
                }
                minutes.get(minute).add(p);
            }
        }
        ordered = new ArrayList<>();
        for (List<Point> minute : minutes) {
            Collections.shuffle(minute, random);
            ordered.addAll(minute);
        }
        Collections.shuffle(held, random);
        late = held;
    }

    int size() {
        return ordered.size() + late.size();
    }

    static KafkaProducer<byte[], byte[]> producer(String bootstrap) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.LINGER_MS_CONFIG, 10);
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
        p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "zstd");
        return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    }

    /** Sends every point, the late ones last, and waits until Kafka has acknowledged them all. */
    void send(KafkaProducer<byte[], byte[]> producer, String topic, Runnable betweenChunks) throws InterruptedException, ExecutionException {
        List<Point> all = new ArrayList<>(ordered);
        all.addAll(late);
        java.util.concurrent.atomic.AtomicReference<Exception> failed = new java.util.concurrent.atomic.AtomicReference<>();
        Future<RecordMetadata> last = null;
        for (int i = 0; i < all.size(); i++) {
            Point p = all.get(i);
            long now = System.currentTimeMillis();
            last = producer.send(new ProducerRecord<>(topic, null, now, SeriesKey.of(p).toBytes(), FORMAT.encode(p)), (m, e) -> {
                if (e != null) {
                    failed.set(e);
                }
            });
            sent.merge(StoredPoints.version(p, now), 1, Integer::sum);
            if (i % 10_000 == 9_999) {
                betweenChunks.run();
            }
        }
        producer.flush();
        if (last != null) {
            last.get();
        }
        if (failed.get() != null) {
            throw new ExecutionException("A point was not acknowledged by Kafka", failed.get());
        }
    }

    Map<String, Integer> sent() {
        return sent;
    }
}
