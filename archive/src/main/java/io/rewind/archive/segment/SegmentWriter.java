package io.rewind.archive.segment;

import io.rewind.archive.Sha256;
import io.rewind.schema.AvroTrust;
import io.rewind.schema.SeriesBlock;
import java.io.Closeable;
import java.io.IOException;
import java.io.FileOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.apache.avro.file.CodecFactory;
import org.apache.avro.file.DataFileStream;
import org.apache.avro.file.DataFileWriter;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;

/**
 * Writes one segment or part file: an Avro object container file of {@link SeriesBlock} records,
 * zstd-compressed, in ascending {@link SeriesId} order, with {@link SegmentMetadata} in its header.
 * Memory stays bounded however large the file: the blocks stream into a scratch file, and when the
 * writer finishes, once the counts and time bounds are known, they are copied without being decoded
 * behind the final header.
 */
public final class SegmentWriter implements Closeable {
    /** Bytes of records between Avro sync markers; each such block is compressed on its own. */
    static final int SYNC_INTERVAL = 1 << 20;
    static final int ZSTD_LEVEL = 3;
    static {
        AvroTrust.trustRewindSchemas();
    }

    private final Path target;
    private final Path scratch;
    private final SegmentMetadata header;
    private final DataFileWriter<SeriesBlock> writer;
    private SeriesId last;
    private long points;
    private long series;
    private long eventMin = Long.MAX_VALUE;
    private long eventMax = Long.MIN_VALUE;
    private long ingestMin = Long.MAX_VALUE;
    private long ingestMax = Long.MIN_VALUE;

    /** Starts a file that {@link #finish()} will publish at {@code target} (a local path). */
    public SegmentWriter(Path target, SegmentMetadata header) throws IOException {
        this.target = target;
        this.header = header;
        this.scratch = target.resolveSibling(target.getFileName() + ".blocks");
        this.writer = open(header);
        writer.create(SeriesBlock.getClassSchema(), scratch.toFile());
    }

    /** Appends the points of one series; series come in ascending order, each once, points sorted. */
    public void write(SeriesPoints block) throws IOException {
        if (block.size() == 0) {
            return;
        }
        if (last != null && block.id().compareTo(last) <= 0) {
            throw new IllegalArgumentException("Series out of order: " + block.id() + " after " + last);
        }
        last = block.id();
        writer.append(SegmentCodec.encode(block, header.formatVersion()));
        series++;
        points += block.size();
        for (int i = 0; i < block.size(); i++) {
            eventMin = Math.min(eventMin, block.timestampMs(i));
            eventMax = Math.max(eventMax, block.timestampMs(i));
            ingestMin = Math.min(ingestMin, block.ingestTimeMs(i));
            ingestMax = Math.max(ingestMax, block.ingestTimeMs(i));
        }
    }

    /** Completes the file at the target path (fsync'ed) and returns what it holds, its size and SHA-256. */
    public WrittenFile finish() throws IOException {
        writer.close();
        SegmentMetadata complete = header.withContent(eventMin, eventMax, ingestMin, ingestMax, points, series);
        MessageDigest sha256 = Sha256.digest();
        // The checksum is taken from the bytes as they are written, so the file is not read back.
        try (FileOutputStream file = new FileOutputStream(target.toFile());
                DataFileWriter<SeriesBlock> out = open(complete);
                DataFileStream<SeriesBlock> blocks = new DataFileStream<>(Files.newInputStream(scratch),
                        new SpecificDatumReader<>(SeriesBlock.class))) {
            out.create(SeriesBlock.getClassSchema(), new DigestOutputStream(file, sha256));
            out.appendAllFrom(blocks, false);
            out.flush();
            file.getFD().sync();
        } finally {
            Files.deleteIfExists(scratch);
        }
        return new WrittenFile(target, complete, Files.size(target), HexFormat.of().formatHex(sha256.digest()));
    }

    @Override
    public void close() throws IOException {
        writer.close();
        Files.deleteIfExists(scratch);
    }

    /** A finished file: where it is, what its header says, its size and SHA-256 (lower-case hex). */
    public record WrittenFile(Path path, SegmentMetadata metadata, long byteSize, String sha256) {
        /** The sidecar object's content, in {@code sha256sum}'s format so that {@code sha256sum -c} checks the file. */
        public byte[] sidecar(String fileName) {
            return (sha256 + "  " + fileName + "\n").getBytes(StandardCharsets.UTF_8);
        }
    }

    private static DataFileWriter<SeriesBlock> open(SegmentMetadata metadata) {
        DataFileWriter<SeriesBlock> writer = new DataFileWriter<>(new SpecificDatumWriter<>(SeriesBlock.class));
        writer.setCodec(CodecFactory.zstandardCodec(ZSTD_LEVEL, true));
        writer.setSyncInterval(SYNC_INTERVAL);
        metadata.toHeader().forEach((key, value) -> writer.setMeta(SegmentMetadata.PREFIX + key, value));
        return writer;
    }
}
