package io.rewind.bench;

import io.rewind.archive.ArchiveLayout;
import io.rewind.archive.segment.SegmentCodec;
import io.rewind.archive.segment.SegmentMetadata;
import io.rewind.archive.segment.SegmentReader;
import io.rewind.archive.segment.SegmentWriter;
import io.rewind.archive.segment.SeriesPoints;
import io.rewind.schema.FileKind;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.file.CodecFactory;
import org.apache.avro.file.DataFileStream;
import org.apache.avro.file.DataFileWriter;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;

/**
 * Bytes per point, write and read points per second of Rewind's segment format against a
 * row-per-point Avro layout (one record per point, sorted by series then time, same zstd codec and
 * block size), on one hour of {@link RealisticDataset}. Each layout is written and read several
 * times; the best run is printed, and the ratio of the two in this run.
 * {@code bin/rewind bench segment-format [rounds]}
 */
public final class SegmentFormatBenchmark {
    private static final Schema ROW = SchemaBuilder.record("RowPoint").namespace("io.rewind.bench").fields()
            .requiredString("metric")
            .name("tags").type().map().values().stringType().noDefault()
            .requiredLong("timestampMs")
            .requiredBoolean("milliseconds")
            .name("value").type().unionOf().longType().and().doubleType().endUnion().noDefault()
            .requiredLong("ingestTimeMs")
            .endRecord();

    private SegmentFormatBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        long start = 1_763_726_400_000L;
        List<SeriesPoints> hour = RealisticDataset.hour(start);
        long points = hour.stream().mapToLong(SeriesPoints::size).sum();
        Path dir = Files.createTempDirectory("rewind-bench-");
        try {
            // The format versions alternate round by round, so that the machine's drift falls on each alike.
            Result columnar = null;
            Result version2 = null;
            Result version1 = null;
            for (int i = 0; i < rounds; i++) {
                columnar = columnar(hour, dir.resolve("segment.avro"), start, SegmentCodec.FORMAT_VERSION).best(columnar);
                version2 = columnar(hour, dir.resolve("segment-v2.avro"), start, 2).best(version2);
                version1 = columnar(hour, dir.resolve("segment-v1.avro"), start, 1).best(version1);
            }
            Result rows = best(rounds, () -> rows(hour, dir.resolve("rows.avro")), points);
            System.out.printf("Segment format, one hour of %,d points in %,d series (%s), best of %d rounds:%n",
                    points, hour.size(), "sys.cpu.* counters and 2-decimal gauges, 10 s, 32 hosts x 8 cpus", rounds);
            System.out.printf("%-26s %12s %14s %16s %16s%n", "layout", "bytes", "bytes/point", "write points/s", "read points/s");
            print("rewind columnar (v" + SegmentCodec.FORMAT_VERSION + ")", columnar, points);
            print("rewind columnar (v2)", version2, points);
            print("rewind columnar (v1)", version1, points);
            print("row per point", rows, points);
            for (int v = 2; v >= 1; v--) {
                Result older = v == 2 ? version2 : version1;
                System.out.printf("v%d / v%d: size %.2fx, write %.2fx, read %.2fx%n", SegmentCodec.FORMAT_VERSION, v,
                        columnar.bytes / (double) older.bytes, older.writeSeconds / columnar.writeSeconds,
                        older.readSeconds / columnar.readSeconds);
            }
            System.out.printf("columnar / row-per-point: size %.2fx, write %.2fx, read %.2fx%n",
                    columnar.bytes / (double) rows.bytes, columnar.writeSeconds > 0 ? rows.writeSeconds / columnar.writeSeconds : 0,
                    rows.readSeconds / columnar.readSeconds);
            // Encryption: the archiver's write path (encode, encrypt, store with its sidecar) and the restore's read path
            // (fetch, check the checksum, decrypt, decode), in clear and encrypted, rounds alternating.
            io.rewind.archive.storage.local.LocalStorage clear = new io.rewind.archive.storage.local.LocalStorage(dir.resolve("clear"));
            io.rewind.archive.crypto.ArchiveCipher cipher = new io.rewind.archive.crypto.ArchiveCipher(
                    io.rewind.archive.crypto.Keyset.generate(dir.resolve("keyset.json")));
            io.rewind.archive.storage.Storage encrypted = io.rewind.archive.location.Storages.withCipher(
                    new io.rewind.archive.storage.local.LocalStorage(dir.resolve("encrypted")), cipher);
            double coldMbPerSecond = warmUp(cipher, dir);
            Result plain = null;
            Result sealed = null;
            for (int i = 0; i < rounds; i++) {
                plain = published(hour, clear, dir, start).best(plain);
                sealed = published(hour, encrypted, dir, start).best(sealed);
            }
            print("stored in clear", plain, points);
            print("stored encrypted", sealed, points);
            System.out.printf("encrypted / clear: write %.2fx, read %.2fx, size %+.2f%%, after %d MiB through the cipher (a running"
                    + " archiver's or a long restore's steady state; the first 16 MiB went at %.0f MB/s each way, before the JIT compiled"
                    + " AES-GCM)%n", plain.writeSeconds / sealed.writeSeconds, plain.readSeconds / sealed.readSeconds,
                    100.0 * (sealed.bytes - plain.bytes) / plain.bytes, WARM_UP_MIB, coldMbPerSecond);
            System.out.printf("machine: %d cores, %s %s, Java %s%n", Runtime.getRuntime().availableProcessors(),
                    System.getProperty("os.name"), System.getProperty("os.arch"), System.getProperty("java.version"));
        } finally {
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private record Result(long bytes, double writeSeconds, double readSeconds) {
        /** The faster time of each kind, of this round and another. */
        Result best(Result other) {
            return other == null ? this : new Result(bytes, Math.min(writeSeconds, other.writeSeconds), Math.min(readSeconds, other.readSeconds));
        }
    }

    private interface Run {
        Result run() throws IOException;
    }

    private static Result best(int rounds, Run run, long points) throws IOException {
        Result best = null;
        for (int i = 0; i < rounds; i++) {
            best = run.run().best(best);
        }
        return best;
    }

    private static void print(String name, Result r, long points) {
        System.out.printf("%-26s %,12d %14.2f %,16.0f %,16.0f%n", name, r.bytes, r.bytes / (double) points,
                points / r.writeSeconds, points / r.readSeconds);
    }

    private static Result columnar(List<SeriesPoints> hour, Path file, long start, int version) throws IOException {
        Files.deleteIfExists(file);
        long t0 = System.nanoTime();
        writeHour(hour, file, start, version);
        long t1 = System.nanoTime();
        try (InputStream in = Files.newInputStream(file); SegmentReader reader = new SegmentReader("segment.avro", in)) {
            readHour(reader, hour);
        }
        long t2 = System.nanoTime();
        return new Result(Files.size(file), (t1 - t0) / 1e9, (t2 - t1) / 1e9);
    }

    /** The hour as one segment file, as the compactor writes it. */
    private static SegmentWriter.WrittenFile writeHour(List<SeriesPoints> hour, Path file, long start, int version) throws IOException {
        try (SegmentWriter writer = new SegmentWriter(file, SegmentMetadata.of(FileKind.SEGMENT, "points", 0, start,
                start + ArchiveLayout.HOUR_MS, 0, 0, 1, List.of()).withFormatVersion(version))) {
            for (SeriesPoints series : hour) {
                writer.write(series);
            }
            return writer.finish();
        }
    }

    /** Reads every point, and checks that they are the hour's. */
    private static void readHour(SegmentReader reader, List<SeriesPoints> hour) {
        long checksum = 0;
        long read = 0;
        while (reader.hasNext()) {
            SeriesPoints series = reader.next();
            for (int i = 0; i < series.size(); i++) {
                checksum += series.timestampMs(i) ^ series.valueBits(i) ^ series.ingestTimeMs(i);
                read++;
            }
        }
        check(read, hour, checksum);
    }

    private static final int WARM_UP_MIB = 256;

    /** Encrypts and decrypts {@value #WARM_UP_MIB} MiB, as an archiver or a restore soon has; returns the first 16 MiB's speed. */
    private static double warmUp(io.rewind.archive.crypto.ArchiveCipher cipher, Path dir) throws IOException {
        Path plain = dir.resolve("warm-up.bin");
        Path sealed = dir.resolve("warm-up.encrypted");
        byte[] block = new byte[16 << 20];
        new java.util.Random(1).nextBytes(block);
        Files.write(plain, block);
        double cold = 0;
        for (int i = 0; i < WARM_UP_MIB / 16; i++) {
            long t0 = System.nanoTime();
            cipher.encrypt(plain, sealed, "warm-up");
            try (InputStream in = io.rewind.archive.crypto.ArchiveCipher.reading(java.util.Optional.of(cipher), Files.newInputStream(sealed),
                    "warm-up")) {
                in.transferTo(java.io.OutputStream.nullOutputStream());
            }
            if (i == 0) {
                cold = 2 * 16 * 1.048576 / ((System.nanoTime() - t0) / 1e9);
            }
        }
        return cold;
    }

    /** Writes the hour as the archiver publishes a file, then reads it as a restore does: through the storage. */
    private static Result published(List<SeriesPoints> hour, io.rewind.archive.storage.Storage storage, Path dir, long start)
            throws IOException {
        String key = "v1/points/dt=2025-11-21/hour=12/p=0000/segment-0000000001.avro";
        Path file = dir.resolve("published.avro");
        Files.deleteIfExists(file);
        long t0 = System.nanoTime();
        io.rewind.archive.segment.SegmentFiles.Stored stored = io.rewind.archive.segment.SegmentFiles.publish(storage, key,
                writeHour(hour, file, start, SegmentCodec.FORMAT_VERSION));
        long t1 = System.nanoTime();
        try (SegmentReader reader = io.rewind.archive.segment.SegmentFiles.open(storage, key, id -> true)) {
            readHour(reader, hour);
        }
        long t2 = System.nanoTime();
        return new Result(stored.byteSize(), (t1 - t0) / 1e9, (t2 - t1) / 1e9);
    }

    private static Result rows(List<SeriesPoints> hour, Path file) throws IOException {
        Files.deleteIfExists(file);
        long t0 = System.nanoTime();
        try (DataFileWriter<GenericRecord> writer = new DataFileWriter<>(new GenericDatumWriter<GenericRecord>(ROW))) {
            writer.setCodec(CodecFactory.zstandardCodec(3, true));
            writer.setSyncInterval(1 << 20);
            writer.create(ROW, file.toFile());
            GenericRecord row = new GenericData.Record(ROW);
            for (SeriesPoints series : hour) {
                Map<String, String> tags = series.id().key().tags();
                String metric = series.id().key().metric();
                for (int i = 0; i < series.size(); i++) {
                    row.put("metric", metric);
                    row.put("tags", tags);
                    row.put("timestampMs", series.timestampMs(i));
                    row.put("milliseconds", series.isMilliseconds(i));
                    row.put("value", series.value(i));
                    row.put("ingestTimeMs", series.ingestTimeMs(i));
                    writer.append(row);
                }
            }
        }
        long t1 = System.nanoTime();
        long checksum = 0;
        long read = 0;
        try (DataFileStream<GenericRecord> reader = new DataFileStream<>(Files.newInputStream(file), new GenericDatumReader<>(ROW))) {
            GenericRecord row = null;
            while (reader.hasNext()) {
                row = reader.next(row);
                Object value = row.get("value");
                long bits = value instanceof Double d ? Double.doubleToRawLongBits(d) : (Long) value;
                checksum += (Long) row.get("timestampMs") ^ bits ^ (Long) row.get("ingestTimeMs");
                read++;
            }
        }
        long t2 = System.nanoTime();
        check(read, hour, checksum);
        return new Result(Files.size(file), (t1 - t0) / 1e9, (t2 - t1) / 1e9);
    }

    /** Both layouts must read back exactly what was written: same count, same checksum. */
    private static void check(long read, List<SeriesPoints> hour, long checksum) {
        long expected = 0;
        long count = 0;
        for (SeriesPoints series : hour) {
            for (int i = 0; i < series.size(); i++) {
                expected += series.timestampMs(i) ^ series.valueBits(i) ^ series.ingestTimeMs(i);
                count++;
            }
        }
        if (read != count || checksum != expected) {
            throw new IllegalStateException("Read back " + read + " points (checksum " + checksum + "), wrote " + count
                    + " (checksum " + expected + ")");
        }
    }
}
