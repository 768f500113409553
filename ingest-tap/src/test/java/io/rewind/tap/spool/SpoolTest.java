package io.rewind.tap.spool;

import static org.assertj.core.api.Assertions.assertThat;

import io.rewind.tap.record.PointRecord;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

class SpoolTest {
    @TempDir
    Path dir;

    private static List<PointRecord> records(int from, int count) {
        return IntStream.range(from, from + count)
                .mapToObj(i -> new PointRecord(("key" + i).getBytes(StandardCharsets.UTF_8), ("value" + i).getBytes(StandardCharsets.UTF_8), i))
                .toList();
    }

    private static List<String> values(Spool.Batch batch) {
        return batch.records().stream().map(r -> new String(r.value(), StandardCharsets.UTF_8)).toList();
    }

    private Path onlySegment() throws java.io.IOException {
        try (var files = Files.list(dir)) {
            return files.filter(f -> f.getFileName().toString().startsWith("spool-")).findFirst().orElseThrow();
        }
    }

    @Test
    void readsRecordsOfEverySizeWholeAndInOrderWhateverTheBatchSize() throws Exception {
        // Small records and records larger than the drainer's buffer (4 MiB), read in batches of every size: each read stops at
        // a record boundary, and a large record is read whole.
        java.util.Random random = new java.util.Random(7);
        List<PointRecord> written = new ArrayList<>();
        for (int i = 0; i < 3000; i++) {
            int size = i % 997 == 500 ? (5 << 20) + random.nextInt(1000) : 1 + random.nextInt(i % 3 == 0 ? 2000 : 60);
            byte[] value = new byte[size];
            random.nextBytes(value);
            written.add(new PointRecord(("key" + i).getBytes(StandardCharsets.UTF_8), value, i));
        }
        try (Spool spool = Spool.open(dir, 1L << 34, 64 << 20)) {
            for (int i = 0; i < written.size(); i += 100) {
                spool.append(written.subList(i, i + 100)).get();
            }
            List<PointRecord> read = new ArrayList<>();
            for (int batch = 1; read.size() < written.size(); batch = batch * 3 % 2011 + 1) {
                Spool.Batch next = spool.read(batch);
                assertThat(next.records()).isNotEmpty().hasSizeLessThanOrEqualTo(batch);
                read.addAll(next.records());
                spool.commit(next.end());
            }
            assertThat(spool.isEmpty()).isTrue();
            assertThat(read).hasSameSizeAs(written);
            for (int i = 0; i < written.size(); i++) {
                assertThat(read.get(i).key()).isEqualTo(written.get(i).key());
                assertThat(read.get(i).value()).as("record %d", i).isEqualTo(written.get(i).value());
                assertThat(read.get(i).receivedMs()).isEqualTo(i);
            }
        }
    }

    @Test
    void drainsInOrderAcrossSegmentsAndARestartContinuesWhereTheDrainStopped() throws Exception {
        try (Spool spool = Spool.open(dir, 1 << 30, 300)) {
            for (int i = 0; i < 100; i += 10) {
                spool.append(records(i, 10)).get();
            }
            Spool.Batch first = spool.read(35);
            assertThat(values(first)).first().isEqualTo("value0");
            assertThat(values(first)).last().isEqualTo("value34");
            spool.commit(first.end());
        }
        try (Spool spool = Spool.open(dir, 1 << 30, 300)) {
            Spool.Batch rest = spool.read(1000);
            assertThat(values(rest)).hasSize(65).first().isEqualTo("value35");
            assertThat(rest.records().get(64).receivedMs()).isEqualTo(99);
            spool.commit(rest.end());
            assertThat(spool.isEmpty()).isTrue();
        }
        try (var files = Files.list(dir)) {
            assertThat(files.filter(f -> f.getFileName().toString().startsWith("spool-")).count()).isEqualTo(1);
        }
    }

    @Test
    void aTornTailIsCutAtOpenAndTheWholeRecordsBeforeItAreKept() throws Exception {
        try (Spool spool = Spool.open(dir, 1 << 30, 1 << 20)) {
            spool.append(records(0, 5)).get();
        }
        Path segment = onlySegment();
        long whole = Files.size(segment);
        try (FileChannel channel = FileChannel.open(segment, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
            channel.write(java.nio.ByteBuffer.wrap(new byte[] {0, 0, 0, 40, 1, 2, 3})); // a crash mid-append
        }
        try (Spool spool = Spool.open(dir, 1 << 30, 1 << 20)) {
            assertThat(spool.truncatedBytes()).isEqualTo(7);
            assertThat(Files.size(segment)).isEqualTo(whole);
            spool.append(records(5, 1)).get();
            assertThat(values(spool.read(100))).containsExactly("value0", "value1", "value2", "value3", "value4", "value5");
        }
    }

    @Test
    void aCorruptRecordIsCutWithEverythingAfterIt() throws Exception {
        try (Spool spool = Spool.open(dir, 1 << 30, 1 << 20)) {
            spool.append(records(0, 3)).get();
        }
        Path segment = onlySegment();
        byte[] bytes = Files.readAllBytes(segment);
        bytes[bytes.length - 2] ^= 0x55; // flip a byte of the last record
        Files.write(segment, bytes);
        try (Spool spool = Spool.open(dir, 1 << 30, 1 << 20)) {
            assertThat(values(spool.read(100))).containsExactly("value0", "value1");
        }
    }

    @Test
    void refusesAppendsPastItsBoundUntilTheDrainFreesRoom() throws Exception {
        try (Spool spool = Spool.open(dir, 200, 1 << 20)) {
            List<PointRecord> four = records(0, 4);
            assertThat(spool.append(four)).isNotNull();
            List<PointRecord> more = new ArrayList<>(records(4, 4));
            assertThat(spool.append(more)).isNull();
            spool.commit(spool.read(100).end());
            assertThat(spool.append(more)).isNotNull();
        }
    }

    @Test
    @Timeout(120)
    void appendsRacingSegmentRollsAreAllSyncedNoneFails() throws Exception {
        // Segments of one record: every append rolls, closing the channel the syncer may be forcing at that moment. Records
        // of 32 KiB make each fsync long enough for a roll to land in it; a few rounds make a miss of the race unlikely.
        int threads = 8;
        int perThread = 300;
        for (int round = 0; round < 3; round++) {
            try (Spool spool = Spool.open(dir.resolve("round-" + round), 1 << 30, 1)) {
                java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(threads);
                List<java.util.concurrent.Future<List<java.util.concurrent.CompletableFuture<Void>>>> appenders = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    appenders.add(pool.submit(() -> {
                        List<java.util.concurrent.CompletableFuture<Void>> synced = new ArrayList<>();
                        for (int i = 0; i < perThread; i++) {
                            synced.add(spool.append(List.of(new PointRecord(new byte[8], new byte[32 << 10], i))));
                        }
                        return synced;
                    }));
                }
                int failed = 0;
                for (var appender : appenders) {
                    for (var synced : appender.get()) {
                        try {
                            synced.get();
                        } catch (java.util.concurrent.ExecutionException e) {
                            failed++;
                        }
                    }
                }
                pool.shutdown();
                assertThat(failed).as("appends whose fsync failed, round " + round).isZero();
                assertThat(spool.read(Integer.MAX_VALUE).records()).hasSize(threads * perThread);
            }
        }
    }

    @Test
    @Timeout(60)
    void aSavedPositionInASegmentThatIsGoneStartsTheNextSegmentAtItsBeginning() throws Exception {
        try (Spool spool = Spool.open(dir, 1 << 30, 300)) {
            for (int i = 0; i < 40; i += 10) {
                spool.append(records(i, 10)).get();
            }
        }
        List<Path> segments;
        try (var files = Files.list(dir)) {
            segments = files.filter(f -> f.getFileName().toString().startsWith("spool-")).sorted().toList();
        }
        assertThat(segments).hasSizeGreaterThan(1);
        long firstSize = Files.size(segments.get(0));
        String firstName = segments.get(0).getFileName().toString();
        long first = Long.parseLong(firstName.substring(6, firstName.length() - 4));
        int inFirst = 0;
        try (Spool spool = Spool.open(dir, 1 << 30, 300)) {
            while (inFirst < 40 && spool.read(inFirst + 1).end().segment() == first) {
                inFirst++;
            }
        }
        // The drain finished the first segment (position at its end) and the segment was removed: the position names a
        // segment that is gone, with an offset that means nothing in the next one.
        Files.writeString(dir.resolve("position"), first + " " + firstSize + "\n");
        Files.delete(segments.get(0));
        try (Spool spool = Spool.open(dir, 1 << 30, 300)) {
            List<String> left = values(spool.read(1000));
            assertThat(left).hasSize(40 - inFirst).first().isEqualTo("value" + inFirst);
        }
    }
}
