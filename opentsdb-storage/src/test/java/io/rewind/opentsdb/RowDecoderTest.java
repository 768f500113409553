package io.rewind.opentsdb;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.function.LongSupplier;
import org.hbase.async.Bytes;
import org.hbase.async.KeyValue;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The codec against OpenTSDB 2.4.1's own code: random points stored as {@code TSDB.addPoint} stores them,
 * in every cell kind (single cells of second and millisecond points, rows compacted by OpenTSDB's compaction,
 * appends, duplicates written later, the old 8-byte float), decode to exactly the points OpenTSDB reads back.
 */
@Timeout(60) // OpenTSDB's classes ask HBase for names when they describe themselves: a test must never wait for that
class RowDecoderTest {
    static final long BASE = 1_764_000_000L - 1_764_000_000L % 3600;
    private static OpenTsdbReference opentsdb;

    @BeforeAll
    static void start() throws Exception {
        opentsdb = new OpenTsdbReference();
    }

    @AfterAll
    static void stop() throws Exception {
        opentsdb.close();
    }

    /** A point as the codec decodes it, comparable with OpenTSDB's reading. */
    record Decoded(long timestampMs, boolean milliseconds, boolean floatingPoint, long valueBits, long cellTimestampMs) {
        OpenTsdbReference.Read asRead() {
            double d = floatingPoint ? Double.longBitsToDouble(valueBits) : valueBits;
            return new OpenTsdbReference.Read(timestampMs, milliseconds, floatingPoint, d, floatingPoint ? (long) d : valueBits);
        }
    }

    static byte[] rowKey() {
        byte[] key = new byte[3 + 4 + 6];
        key[2] = 1;
        System.arraycopy(Bytes.fromInt((int) BASE), 0, key, 3, 4);
        key[9] = 1;
        key[12] = 1;
        return key;
    }

    /** A random point of the hour, of a random kind, at a timestamp in seconds or milliseconds. */
    private static OpenTsdbReference.Written randomPoint(Random random, long offsetMs, boolean ms) {
        long timestamp = ms ? BASE * 1000 + offsetMs : BASE + offsetMs / 1000;
        return switch (random.nextInt(6)) {
            case 0 -> OpenTsdbReference.integer(timestamp, random.nextInt(256) - 128);
            case 1 -> OpenTsdbReference.integer(timestamp, random.nextInt(65536) - 32768);
            case 2 -> OpenTsdbReference.integer(timestamp, random.nextInt());
            case 3 -> OpenTsdbReference.integer(timestamp, random.nextLong());
            case 4 -> OpenTsdbReference.float4(timestamp, (float) (random.nextGaussian() * 1000));
            default -> OpenTsdbReference.float8(timestamp, random.nextGaussian() * 1e12);
        };
    }

    /** A random point at each offset, stored as {@code addPoint} stores it, in a cell of the version {@code version} gives. */
    static List<KeyValue> written(Random random, byte[] key, List<long[]> offsets, LongSupplier version) {
        List<KeyValue> cells = new ArrayList<>();
        for (long[] offset : offsets) {
            OpenTsdbReference.Written w = randomPoint(random, offset[0], offset[1] == 1);
            cells.add(new KeyValue(key, OpenTsdbReference.FAMILY, w.qualifier(), version.getAsLong(), w.value()));
        }
        return cells;
    }

    /** Distinct random offsets in the hour: seconds where {@code ms} is false, else any millisecond. */
    static List<long[]> randomOffsets(Random random, int count) {
        List<long[]> offsets = new ArrayList<>();
        java.util.Set<Long> used = new java.util.HashSet<>();
        while (offsets.size() < count) {
            boolean ms = random.nextInt(3) == 0;
            long offset = ms ? random.nextInt(3_600_000) : random.nextInt(3600) * 1000L;
            if (used.add(offset)) {
                offsets.add(new long[] {offset, ms ? 1 : 0});
            }
        }
        return offsets;
    }

    private static List<Decoded> decode(List<KeyValue> row, RowDecoder.Tally tally, List<String> problems) {
        List<RowDecoder.Cell> cells = row.stream().map(kv -> new RowDecoder.Cell(kv.qualifier(), kv.value(), kv.timestamp())).toList();
        List<Decoded> out = new ArrayList<>();
        new RowDecoder().decode(BASE, cells, (ts, ms, fp, bits, width, version) -> out.add(new Decoded(ts, ms, fp, bits, version)), tally,
                (q, why) -> problems.add(RowDecoder.hex(q) + ": " + why));
        return out;
    }

    private static List<OpenTsdbReference.Read> reads(List<Decoded> decoded) {
        return decoded.stream().map(Decoded::asRead).toList();
    }

    @Test
    void singleCellsOfEveryKindDecodeAsOpenTsdbReadsThem() throws Exception {
        for (long seed = 0; seed < 300; seed++) {
            Random random = new Random(seed);
            byte[] key = rowKey();
            List<KeyValue> row = written(random, key, randomOffsets(random, 1 + random.nextInt(60)), () -> 1000 + random.nextInt(1000));
            Collections.shuffle(row, random);
            RowDecoder.Tally tally = new RowDecoder.Tally();
            List<String> problems = new ArrayList<>();
            List<Decoded> decoded = decode(row, tally, problems);
            assertThat(reads(decoded)).as("seed %d", seed).isEqualTo(opentsdb.read(key, row, BASE));
            assertThat(problems).isEmpty();
            assertThat(tally.points).isEqualTo(row.size());
            assertThat(tally.duplicates).isZero();
        }
    }

    @Test
    void rowsCompactedByOpenTsdbDecodeToThePointsWritten() throws Exception {
        for (long seed = 0; seed < 300; seed++) {
            Random random = new Random(seed);
            byte[] key = rowKey();
            List<KeyValue> row = written(random, key, randomOffsets(random, 2 + random.nextInt(400)), () -> 5);
            List<OpenTsdbReference.Read> expected = opentsdb.read(key, row, BASE);
            KeyValue compacted = opentsdb.compact(row);
            assertThat(compacted.qualifier().length).as("OpenTSDB compacted the row into one cell").isGreaterThan(4);
            RowDecoder.Tally tally = new RowDecoder.Tally();
            List<String> problems = new ArrayList<>();
            List<Decoded> decoded = decode(List.of(compacted), tally, problems);
            assertThat(reads(decoded)).as("seed %d", seed).isEqualTo(expected);
            assertThat(problems).isEmpty();
            assertThat(decoded).allSatisfy(p -> assertThat(p.cellTimestampMs()).isEqualTo(compacted.timestamp()));
        }
    }

    @Test
    void cellsWrittenOverACompactedRowKeepTheLatestVersionOfEachTimestampAsFixDuplicatesDoes() throws Exception {
        for (long seed = 0; seed < 300; seed++) {
            Random random = new Random(seed);
            byte[] key = rowKey();
            List<KeyValue> row = compactedThenOverwritten(opentsdb, random);
            RowDecoder.Tally tally = new RowDecoder.Tally();
            List<String> problems = new ArrayList<>();
            List<Decoded> decoded = decode(row, tally, problems);
            assertThat(reads(decoded)).as("seed %d", seed).isEqualTo(opentsdb.read(key, row, BASE));
            assertThat(problems).isEmpty();
            assertThat(tally.duplicates).as("seed %d", seed).isPositive();
        }
    }

    /**
     * A row compacted by OpenTSDB, then rewrites of some of its timestamps (another value, maybe another kind or precision
     * of the same instant) and new points written over it, in any order: the incident a restore repairs.
     */
    static List<KeyValue> compactedThenOverwritten(OpenTsdbReference opentsdb, Random random) throws Exception {
        byte[] key = rowKey();
        List<long[]> offsets = randomOffsets(random, 2 + random.nextInt(100));
        KeyValue compacted = opentsdb.compact(written(random, key, offsets, () -> 100));
        List<KeyValue> row = new ArrayList<>(List.of(compacted));
        // Rewrites of some timestamps (another value, maybe another kind or precision of the same instant) and new ones.
        int rewrites = 1 + random.nextInt(10);
        for (int i = 0; i < rewrites; i++) {
            long[] offset = offsets.get(random.nextInt(offsets.size()));
            boolean ms = offset[0] % 1000 == 0 ? random.nextBoolean() : true;
            OpenTsdbReference.Written w = randomPoint(random, offset[0], ms);
            row.add(new KeyValue(key, OpenTsdbReference.FAMILY, w.qualifier(), 200 + i, w.value()));
        }
        row.addAll(written(random, key, randomOffsets(random, 3), () -> 300));
        // A qualifier may now appear twice with the same version; keep the row as HBase would hold it: one cell per qualifier.
        java.util.Map<String, KeyValue> byQualifier = new java.util.LinkedHashMap<>();
        row.forEach(kv -> byQualifier.merge(RowDecoder.hex(kv.qualifier()), kv, (a, b) -> a.timestamp() >= b.timestamp() ? a : b));
        row = new ArrayList<>(byQualifier.values());
        Collections.shuffle(row, random);
        return row;
    }

    @Test
    void appendedPointsDecodeAsOpenTsdbReadsThemTheLaterOfTwoAtOneTimestampWins() throws Exception {
        for (long seed = 0; seed < 300; seed++) {
            Random random = new Random(seed);
            byte[] key = rowKey();
            List<long[]> offsets = randomOffsets(random, 1 + random.nextInt(100));
            List<OpenTsdbReference.Written> points = new ArrayList<>();
            for (long[] offset : offsets) {
                points.add(randomPoint(random, offset[0], offset[1] == 1));
            }
            for (int i = random.nextInt(4); i > 0; i--) { // rewrites, appended later
                long[] offset = offsets.get(random.nextInt(offsets.size()));
                points.add(randomPoint(random, offset[0], offset[1] == 1));
            }
            Collections.shuffle(points.subList(0, offsets.size()), random); // appends arrive in any order
            KeyValue append = new KeyValue(key, OpenTsdbReference.FAMILY, new byte[] {5, 0, 0}, 77, OpenTsdbReference.appended(points));
            RowDecoder.Tally tally = new RowDecoder.Tally();
            List<String> problems = new ArrayList<>();
            List<Decoded> decoded = decode(List.of(append), tally, problems);
            List<OpenTsdbReference.Read> expected = new ArrayList<>();
            for (net.opentsdb.core.Internal.Cell cell : new net.opentsdb.core.AppendDataPoints().parseKeyValue(opentsdb.tsdb(), append)) {
                Number value = cell.parseValue();
                expected.add(new OpenTsdbReference.Read(cell.timestamp(BASE), net.opentsdb.core.Internal.inMilliseconds(cell.qualifier()),
                        !cell.isInteger(), value.doubleValue(), value.longValue()));
            }
            assertThat(reads(decoded)).as("seed %d", seed).isEqualTo(expected);
            assertThat(problems).isEmpty();
        }
    }

    @Test
    void theOldFloatStoredOnEightBytesIsRepairedAsOpenTsdbRepairsIt() throws Exception {
        byte[] key = rowKey();
        byte[] qualifier = net.opentsdb.core.Internal.buildQualifier(BASE + 10, (short) (0x8 | 0x3));
        byte[] value = OpenTsdbReference.concat(new byte[4], Bytes.fromInt(Float.floatToRawIntBits(2.5f)));
        List<KeyValue> row = List.of(new KeyValue(key, OpenTsdbReference.FAMILY, qualifier, 1, value));
        List<Decoded> decoded = decode(row, new RowDecoder.Tally(), new ArrayList<>());
        assertThat(reads(decoded)).isEqualTo(opentsdb.read(key, row, BASE));
        assertThat(decoded).extracting(d -> Double.longBitsToDouble(d.valueBits())).containsExactly(2.5);
    }

    @Test
    void annotationsAndHistogramsAreCountedAndSkippedAndABrokenCellIsReportedWithoutLosingTheOthers() {
        byte[] good = net.opentsdb.core.Internal.buildQualifier(BASE + 1, (short) 0);
        byte[] brokenCompaction = OpenTsdbReference.concat(net.opentsdb.core.Internal.buildQualifier(BASE + 2, (short) 0),
                net.opentsdb.core.Internal.buildQualifier(BASE + 3, (short) 7));
        List<KeyValue> row = List.of(
                new KeyValue(rowKey(), OpenTsdbReference.FAMILY, good, 1, new byte[] {42}),
                new KeyValue(rowKey(), OpenTsdbReference.FAMILY, new byte[] {1, 0, 5}, 1, "{\"description\":\"deploy\"}".getBytes()),
                new KeyValue(rowKey(), OpenTsdbReference.FAMILY, new byte[] {6, 0, 7}, 1, new byte[] {1, 2, 3}),
                new KeyValue(rowKey(), OpenTsdbReference.FAMILY, brokenCompaction, 1, new byte[] {1, 0, 0, 0}));
        RowDecoder.Tally tally = new RowDecoder.Tally();
        List<String> problems = new ArrayList<>();
        List<Decoded> decoded = decode(row, tally, problems);
        assertThat(decoded).containsExactly(new Decoded((BASE + 1) * 1000, false, false, 42, 1));
        assertThat(tally.annotations).isEqualTo(1);
        assertThat(tally.histograms).isEqualTo(1);
        assertThat(tally.malformed).isEqualTo(1);
        assertThat(problems).singleElement().asString().startsWith(RowDecoder.hex(brokenCompaction) + ": Corrupted value");
    }
}
