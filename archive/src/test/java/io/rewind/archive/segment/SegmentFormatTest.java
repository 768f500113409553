package io.rewind.archive.segment;

import static io.rewind.archive.segment.Fixtures.WINDOW;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.rewind.archive.storage.ReadPolicy;
import io.rewind.archive.storage.Storage;
import io.rewind.archive.storage.local.LocalStorage;
import io.rewind.schema.FileKind;
import io.rewind.schema.Point;
import io.rewind.schema.SamplePoints;
import io.rewind.schema.TimestampPrecision;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SegmentFormatTest {
    @TempDir
    Path dir;

    @org.junit.jupiter.params.ParameterizedTest(name = "format version {0}")
    @org.junit.jupiter.params.provider.ValueSource(ints = {1, 2, 3})
    void everyKindOfPointIsReadBackBitIdenticalFromEveryFormatVersion(int version) throws Exception {
        Map<Point, Long> written = new LinkedHashMap<>();
        long ingest = WINDOW + 500;
        for (Point point : SamplePoints.everyKind()) {
            written.put(point, ingest += 1_234);
        }
        double[] awkward = {0.1 + 0.2, 1e300, -1e-300, Double.MIN_VALUE, Double.MAX_VALUE, -0.0, 3.0, 42.17, 1.0 / 3};
        for (int i = 0; i < awkward.length; i++) {
            written.put(SamplePoints.put("awkward.floats", WINDOW + i * 1_000L, TimestampPrecision.MILLISECONDS, awkward[i],
                    Map.of("host", "a")), WINDOW + i * 1_000L + 7);
        }
        long[] integers = {Long.MIN_VALUE, Long.MAX_VALUE, 0, -1, 1L << 53, 17};
        for (int i = 0; i < integers.length; i++) {
            written.put(SamplePoints.put("awkward.integers", WINDOW + i * 1_000L, TimestampPrecision.SECONDS, integers[i],
                    Map.of("host", "a")), WINDOW - 5_000 + i * 30_000L);
        }
        List<SeriesPoints> series = Fixtures.series(written);

        Fixtures.write(dir.resolve("part.avro"), FileKind.PART, 0, 99, series, version);
        List<SeriesPoints> read = Fixtures.readAll(new SegmentReader("part.avro", Files.newInputStream(dir.resolve("part.avro"))));

        assertThat(new SegmentReader("part.avro", Files.newInputStream(dir.resolve("part.avro"))).metadata().formatVersion()).isEqualTo(version);
        assertThat(read).containsExactlyElementsOf(series);
        Map<Point, Long> readBack = new LinkedHashMap<>();
        for (SeriesPoints points : read) {
            for (int i = 0; i < points.size(); i++) {
                readBack.put(points.toPoint(i), points.ingestTimeMs(i));
            }
        }
        assertThat(readBack).containsExactlyInAnyOrderEntriesOf(written);
        assertThat(read).flatExtracting(p -> java.util.stream.IntStream.range(0, p.size())
                        .mapToObj(i -> Double.doubleToRawLongBits(p.isFloatingPoint(i) ? (Double) p.value(i) : 0d)).toList())
                .contains(Double.doubleToRawLongBits(-0.0), Double.doubleToRawLongBits(0.1 + 0.2));
    }

    @Test
    void headerDescribesTheFileWithoutAnythingElse() throws Exception {
        SeriesPoints a = Fixtures.gauge("sys.cpu.util", Map.of("host", "a"), WINDOW, 360, 800, 1.5);
        SeriesPoints b = Fixtures.gauge("sys.cpu.util", Map.of("host", "b"), WINDOW + 5_000, 100, 1_200, 7.25);

        SegmentWriter.WrittenFile file = Fixtures.write(dir.resolve("segment.avro"), FileKind.SEGMENT, 1_000, 1_999, List.of(a, b));
        SegmentMetadata meta;
        try (SegmentReader reader = new SegmentReader("segment.avro", Files.newInputStream(file.path()))) {
            meta = reader.metadata();
        }

        assertThat(meta).isEqualTo(file.metadata());
        assertThat(meta.kind()).isEqualTo(FileKind.SEGMENT);
        assertThat(meta.topic()).isEqualTo("points");
        assertThat(meta.partition()).isEqualTo(7);
        assertThat(meta.windowStartMs()).isEqualTo(WINDOW);
        assertThat(meta.firstOffset()).isEqualTo(1_000);
        assertThat(meta.lastOffset()).isEqualTo(1_999);
        assertThat(meta.pointCount()).isEqualTo(460);
        assertThat(meta.seriesCount()).isEqualTo(2);
        assertThat(meta.eventTimeMinMs()).isEqualTo(WINDOW);
        assertThat(meta.eventTimeMaxMs()).isEqualTo(WINDOW + 359 * 10_000L);
        assertThat(meta.ingestTimeMinMs()).isEqualTo(WINDOW + 800);
        assertThat(meta.ingestTimeMaxMs()).isEqualTo(WINDOW + 359 * 10_000L + 800);
        assertThat(file.sha256()).isEqualTo(java.util.HexFormat.of().formatHex(
                java.security.MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file.path())))).hasSize(64);
        assertThat(Files.exists(dir.resolve("segment.avro.blocks"))).as("scratch file removed").isFalse();
    }

    @Test
    void aBaselineFileNamesItsSourceInItsHeader() throws Exception {
        SeriesPoints a = Fixtures.gauge("sys.cpu.util", Map.of("host", "a"), WINDOW, 10, 0, 1.5);
        Map<String, String> source = new java.util.LinkedHashMap<>();
        source.put("baseline", "tsdb");
        source.put("cluster", "zk1:2181,zk2:2181/hbase");
        source.put("snapshot", "rewind-tsdb-0of1-20261129T220000Z");
        Path path = dir.resolve("baseline.avro");
        SegmentWriter.WrittenFile file;
        try (SegmentWriter writer = new SegmentWriter(path, SegmentMetadata.baseline("points", WINDOW, WINDOW + 3_600_000L, source))) {
            writer.write(a);
            file = writer.finish();
        }
        SegmentMetadata meta;
        try (SegmentReader reader = new SegmentReader("baseline.avro", Files.newInputStream(file.path()))) {
            meta = reader.metadata();
            assertThat(Fixtures.readAll(reader)).containsExactly(a);
        }
        assertThat(meta).isEqualTo(file.metadata());
        assertThat(meta.kind()).isEqualTo(FileKind.BASELINE);
        assertThat(meta.partition()).isEqualTo(-1);
        assertThat(meta.source()).containsExactlyEntriesOf(source);
        assertThatThrownBy(() -> SegmentMetadata.baseline("points", WINDOW, WINDOW + 1, Map.of("a=b", "c")))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void seriesMustComeInOrder() throws Exception {
        SeriesPoints a = Fixtures.gauge("m", Map.of("host", "a"), WINDOW, 3, 0, 1);
        SeriesPoints b = Fixtures.gauge("m", Map.of("host", "b"), WINDOW, 3, 0, 1);

        assertThatThrownBy(() -> Fixtures.write(dir.resolve("x.avro"), FileKind.PART, 0, 1, List.of(b, a)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Series out of order");
    }

    @Test
    void aFilterSkipsTheSeriesItDoesNotWant() throws Exception {
        SeriesPoints a = Fixtures.gauge("sys.cpu.util", Map.of("host", "a"), WINDOW, 3, 0, 1);
        SeriesPoints b = Fixtures.gauge("sys.mem.free", Map.of("host", "a"), WINDOW, 3, 0, 1);
        Fixtures.write(dir.resolve("f.avro"), FileKind.PART, 0, 1, List.of(a, b));

        List<SeriesPoints> read = Fixtures.readAll(new SegmentReader("f.avro", Files.newInputStream(dir.resolve("f.avro")),
                java.util.Optional.empty(), id -> id.key().metric().startsWith("sys.mem")));

        assertThat(read).containsExactly(b);
    }

    @Test
    void aFlippedByteATruncationAndAMissingSidecarAreEachReportedWithTheFileNameWhileTheRestStaysReadable() throws Exception {
        Storage storage = new LocalStorage(dir.resolve("archive"));
        List<SeriesPoints> series = List.of(
                Fixtures.gauge("sys.cpu.util", Map.of("host", "a"), WINDOW, 3_000, 800, 1.5),
                Fixtures.gauge("sys.cpu.util", Map.of("host", "b"), WINDOW, 3_000, 900, 2.5));
        for (String name : List.of("good", "flipped", "truncated", "unsigned")) {
            SegmentWriter.WrittenFile file = Fixtures.write(dir.resolve(name + ".avro"), FileKind.PART, 0, 9, series);
            SegmentFiles.publish(storage, "v1/points/" + name + ".avro", file);
        }
        Path flipped = dir.resolve("archive/v1/points/flipped.avro");
        try (RandomAccessFile file = new RandomAccessFile(flipped.toFile(), "rw")) {
            long at = file.length() / 2;
            file.seek(at);
            int b = file.read();
            file.seek(at);
            file.write(b ^ 0x10);
        }
        Path truncated = dir.resolve("archive/v1/points/truncated.avro");
        try (RandomAccessFile file = new RandomAccessFile(truncated.toFile(), "rw")) {
            file.setLength(file.length() * 2 / 3);
        }
        storage.delete("v1/points/unsigned.avro.sha256");

        assertThat(SegmentFiles.verify(storage, "v1/points/good.avro").problems()).isEmpty();
        assertThat(SegmentFiles.verify(storage, "v1/points/flipped.avro").problems()).singleElement().asString()
                .startsWith("v1/points/flipped.avro: ");
        assertThat(SegmentFiles.verify(storage, "v1/points/truncated.avro").problems()).singleElement().asString()
                .startsWith("v1/points/truncated.avro: ");
        assertThat(SegmentFiles.verify(storage, "v1/points/unsigned.avro").problems()).containsExactly(
                "v1/points/unsigned.avro: no sidecar v1/points/unsigned.avro.sha256 (publication did not finish, or it was deleted)");
        assertThatThrownBy(() -> Fixtures.readAll(storage, "v1/points/flipped.avro"))
                .isInstanceOf(SegmentCorruptException.class)
                .satisfies(e -> assertThat(((SegmentCorruptException) e).file()).isEqualTo("v1/points/flipped.avro"));
        assertThat(Fixtures.readAll(storage, "v1/points/good.avro")).containsExactlyElementsOf(series);
        assertThatThrownBy(() -> Fixtures.readAll(storage, "v1/points/unsigned.avro")).isInstanceOf(SegmentCorruptException.class)
                .hasMessageStartingWith("v1/points/unsigned.avro: no checksum sidecar");
        assertThat(Fixtures.readAll(SegmentFiles.open(storage, "v1/points/unsigned.avro", id -> true,
                ReadPolicy.STRICT.allowingUnchecked()))).containsExactlyElementsOf(series);
    }

    @Test
    void aFileTruncatedAtABlockBoundaryIsCaughtByItsCountsEvenWithoutAChecksum() throws Exception {
        Path whole = dir.resolve("whole.avro");
        List<SeriesPoints> many = new java.util.ArrayList<>();
        for (int h = 0; h < 40; h++) {
            many.add(Fixtures.gauge("sys.cpu.util", Map.of("host", String.format("h%03d", h)), WINDOW, 3_000, 800, h));
        }
        Fixtures.write(whole, FileKind.PART, 0, 9, many);
        byte[] bytes = Files.readAllBytes(whole);
        // Cut right after the first sync marker past the middle, as a crash between blocks would.
        byte[] sync;
        try (var reader = new org.apache.avro.file.DataFileReader<>(whole.toFile(),
                new org.apache.avro.generic.GenericDatumReader<>())) {
            reader.sync(bytes.length / 2);
            long cut = reader.previousSync();
            sync = java.util.Arrays.copyOfRange(bytes, 0, (int) cut);
        }

        assertThatThrownBy(() -> Fixtures.readAll(new SegmentReader("cut.avro", new java.io.ByteArrayInputStream(sync))))
                .isInstanceOf(SegmentCorruptException.class)
                .hasMessageStartingWith("cut.avro: truncated: ");
    }
}
