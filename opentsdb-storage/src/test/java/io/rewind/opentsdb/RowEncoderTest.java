package io.rewind.opentsdb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import net.opentsdb.core.Const;
import org.hbase.async.Bytes;
import org.hbase.async.KeyValue;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The encoder against OpenTSDB 2.4.1's compaction: random rows of every value kind, second and millisecond points,
 * written as {@code TSDB.addPoint} writes them (and rewritten over a compacted row), decoded and encoded again, give
 * byte for byte the cell OpenTSDB's {@code CompactionQueue} makes of them; row keys are salted as its {@code RowKey}
 * salts them.
 */
@Timeout(60)
class RowEncoderTest {
    private static final long BASE = RowDecoderTest.BASE;
    private static OpenTsdbReference opentsdb;

    @BeforeAll
    static void start() throws Exception {
        opentsdb = new OpenTsdbReference();
    }

    @AfterAll
    static void stop() throws Exception {
        opentsdb.close();
    }

    /** The row's points decoded, then encoded as one cell: qualifier and value in hex. */
    private static List<String> decodedAndEncoded(List<KeyValue> row) {
        List<RowDecoder.Cell> cells = row.stream().map(kv -> new RowDecoder.Cell(kv.qualifier(), kv.value(), kv.timestamp())).toList();
        RowEncoder encoder = new RowEncoder();
        encoder.reset();
        new RowDecoder().decode(BASE, cells, (ts, ms, fp, bits, width, version) -> encoder.add(ts - BASE * 1000, ms, fp, width, bits),
                new RowDecoder.Tally(), (q, why) -> {
                    throw new AssertionError(why);
                });
        return List.of(hex(encoder.qualifier()), hex(encoder.value()));
    }

    private static List<String> compactedByOpenTsdb(List<KeyValue> row) throws Exception {
        KeyValue compacted = opentsdb.compact(row);
        return List.of(hex(compacted.qualifier()), hex(compacted.value()));
    }

    private static String hex(byte[] bytes) {
        return HexFormat.of().formatHex(bytes);
    }

    @Test
    void aRowOfSingleCellsEncodesAsOpenTsdbCompactsIt() throws Exception {
        for (long seed = 0; seed < 300; seed++) {
            Random random = new Random(seed);
            byte[] key = RowDecoderTest.rowKey();
            List<KeyValue> row = RowDecoderTest.written(random, key, RowDecoderTest.randomOffsets(random, 1 + random.nextInt(400)),
                    () -> 5);
            Collections.shuffle(row, random);
            assertThat(decodedAndEncoded(row)).as("seed %d, %d points", seed, row.size()).isEqualTo(compactedByOpenTsdb(row));
        }
    }

    @Test
    void cellsWrittenOverACompactedRowEncodeAsOpenTsdbCompactsThemWithFixDuplicates() throws Exception {
        for (long seed = 0; seed < 300; seed++) {
            Random random = new Random(seed);
            List<KeyValue> row = RowDecoderTest.compactedThenOverwritten(opentsdb, random);
            assertThat(decodedAndEncoded(row)).as("seed %d", seed).isEqualTo(compactedByOpenTsdb(row));
        }
    }

    @Test
    void integersTakeTheWidthAddPointGivesThem() {
        Random random = new Random(7);
        for (int i = 0; i < 100_000; i++) {
            long value = switch (i % 4) {
                case 0 -> random.nextInt(256) - 128;
                case 1 -> random.nextInt(65536) - 32768;
                case 2 -> random.nextInt();
                default -> random.nextLong() >> random.nextInt(64);
            };
            assertThat(RowEncoder.integerWidth(value)).as("%d", value).isEqualTo(OpenTsdbReference.integer(BASE, value).value().length);
        }
    }

    @Test
    void pointsOutOfOrderOrOfAWidthOpenTsdbNeverWritesAreRefused() {
        RowEncoder encoder = new RowEncoder();
        encoder.add(5000, false, false, 1, 1);
        assertThatThrownBy(() -> encoder.add(5000, true, false, 1, 1)).hasMessageContaining("increasing order");
        assertThatThrownBy(() -> encoder.add(6001, false, false, 1, 1)).hasMessageContaining("written in seconds");
        assertThatThrownBy(() -> encoder.add(7000, false, true, 2, 1)).hasMessageContaining("a float on 2 bytes");
        assertThatThrownBy(() -> encoder.add(3_600_000, true, false, 3, 1)).hasMessageContaining("increasing order");
    }

    /** OpenTSDB's salt settings, which a TSDB sets from its configuration (package-private setters, meant for its tests). */
    private static void setSalt(int width, int buckets) throws ReflectiveOperationException {
        for (String setter : new String[] {"setSaltWidth", "setSaltBuckets"}) {
            java.lang.reflect.Method method = Const.class.getDeclaredMethod(setter, int.class);
            method.setAccessible(true);
            method.invoke(null, setter.equals("setSaltWidth") ? width : buckets);
        }
    }

    @Test
    void rowKeysAreSaltedAsOpenTsdbSaltsThem() throws Exception {
        int width = Const.SALT_WIDTH();
        int buckets = Const.SALT_BUCKETS();
        try {
            for (int saltWidth : new int[] {1, 2}) {
                setSalt(saltWidth, saltWidth == 1 ? 20 : 1000);
                StorageLayout layout = new StorageLayout("zk", "/hbase", "tsdb", "tsdb-uid", saltWidth, Const.SALT_BUCKETS(), 3, 3, 3);
                Random random = new Random(saltWidth);
                for (int i = 0; i < 2000; i++) {
                    byte[] metric = new byte[3];
                    random.nextBytes(metric);
                    metric[0] |= 1; // never the global annotation row's zeros
                    byte[] tags = new byte[6 * (1 + random.nextInt(4))];
                    random.nextBytes(tags);
                    byte[] key = RowKey.atHour(layout, RowKey.template(layout, metric, tags), BASE);
                    byte[] theirs = new byte[key.length];
                    System.arraycopy(metric, 0, theirs, saltWidth, 3);
                    System.arraycopy(Bytes.fromInt((int) BASE), 0, theirs, saltWidth + 3, 4);
                    System.arraycopy(tags, 0, theirs, saltWidth + 7, tags.length);
                    net.opentsdb.core.RowKey.prefixKeyWithSalt(theirs);
                    assertThat(hex(key)).isEqualTo(hex(theirs));
                }
            }
        } finally {
            setSalt(width, buckets);
        }
    }
}
