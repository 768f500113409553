package io.rewind.restore.serve;

import io.rewind.archive.Sha256;
import io.rewind.archive.segment.SegmentCorruptException;
import io.rewind.archive.segment.SegmentCodec;
import io.rewind.archive.segment.SeriesId;
import io.rewind.archive.segment.SeriesPoints;
import io.rewind.archive.storage.Storage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Predicate;
import io.rewind.schema.AvroTrust;
import io.rewind.schema.SeriesBlock;
import org.apache.avro.file.DataFileStream;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.specific.SpecificDatumReader;

/**
 * Where each series of a segment file lies: the file's Avro header, and for each Avro block (about a mebibyte of series
 * records, in series order) its byte range, the first and last metric it holds and the SHA-256 of its bytes. Built once
 * from the whole file, after its checksum matched its sidecar; then a query for a metric reads only the blocks that can
 * hold it, by ranged reads (local disk or S3), each checked against its recorded SHA-256 before it is decoded: nothing
 * unchecked is used (guarantee 12), and the rest of the file is not read. What Thanos's index header does for Prometheus
 * blocks, for the archive's own files.
 */
final class BlockIndex {
    private static final int SYNC_BYTES = 16;

    static {
        AvroTrust.trustRewindSchemas();
    }

    private final String key;
    private final byte[] header;
    private final List<Block> blocks;

    /** One Avro block: where it is, what it holds, its checksum. */
    record Block(long offset, int length, String firstMetric, String lastMetric, byte[] sha256) {
        /** Whether the metric sorts between the block's first and last, in the files' order: unsigned UTF-8 bytes. */
        boolean mayHold(String metric) {
            byte[] m = metric.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            return Arrays.compareUnsigned(firstMetric.getBytes(java.nio.charset.StandardCharsets.UTF_8), m) <= 0
                    && Arrays.compareUnsigned(m, lastMetric.getBytes(java.nio.charset.StandardCharsets.UTF_8)) <= 0;
        }
    }

    private BlockIndex(String key, byte[] header, List<Block> blocks) {
        this.key = key;
        this.header = header;
        this.blocks = blocks;
    }

    List<Block> blocks() {
        return blocks;
    }

    /** The index of a file whose bytes were checked whole: block boundaries from the Avro framing, metrics from decoding each. */
    static BlockIndex of(String key, byte[] file) throws IOException {
        BinaryDecoder in = DecoderFactory.get().binaryDecoder(file, null);
        byte[] magic = new byte[4];
        in.readFixed(magic);
        for (long n = in.readMapStart(); n != 0; n = in.mapNext()) {
            for (long i = 0; i < n; i++) {
                in.skipString();
                in.skipBytes();
            }
        }
        byte[] sync = new byte[SYNC_BYTES];
        in.readFixed(sync);
        int headerEnd = position(file, in);
        if (!Arrays.equals(magic, new byte[] {'O', 'b', 'j', 1})) {
            throw new SegmentCorruptException(key, "byte 0", "not an Avro container file", null);
        }
        byte[] header = Arrays.copyOf(file, headerEnd);
        List<Block> blocks = new ArrayList<>();
        int offset = headerEnd;
        while (offset < file.length) {
            BinaryDecoder block = DecoderFactory.get().binaryDecoder(file, offset, file.length - offset, null);
            block.readLong(); // records
            long size = block.readLong();
            int dataStart = offset + (file.length - offset - block.inputStream().available());
            int end = Math.toIntExact(dataStart + size + SYNC_BYTES);
            if (end > file.length || !Arrays.equals(file, end - SYNC_BYTES, end, sync, 0, SYNC_BYTES)) {
                throw new SegmentCorruptException(key, "byte " + offset, "an Avro block does not end with the file's sync marker", null);
            }
            String[] metrics = metrics(key, header, file, offset, end);
            MessageDigest sha = Sha256.digest();
            sha.update(file, offset, end - offset);
            blocks.add(new Block(offset, end - offset, metrics[0], metrics[1], sha.digest()));
            offset = end;
        }
        return new BlockIndex(key, header, List.copyOf(blocks));
    }

    /** The bytes the decoder has consumed: its position in the array. */
    private static int position(byte[] file, BinaryDecoder in) throws IOException {
        return file.length - in.inputStream().available();
    }

    /** The first and last metric of a block, read with the file's header. */
    private static String[] metrics(String key, byte[] header, byte[] file, int from, int to) throws IOException {
        String first = "";
        String last = "";
        try (DataFileStream<SeriesBlock> records = records(header, new ByteArrayInputStream(file, from, to - from))) {
            SeriesBlock reuse = null;
            while (records.hasNext()) {
                reuse = records.next(reuse);
                String metric = reuse.getMetric().toString();
                if (first.isEmpty()) {
                    first = metric;
                }
                last = metric;
            }
        } catch (RuntimeException e) {
            throw new SegmentCorruptException(key, "byte " + from, "an Avro block cannot be read: " + e.getMessage(), e);
        }
        return new String[] {first, last};
    }

    private static DataFileStream<SeriesBlock> records(byte[] header, InputStream blocks) throws IOException {
        return new DataFileStream<>(new SequenceInputStream(new ByteArrayInputStream(header), blocks), new SpecificDatumReader<>(SeriesBlock.class));
    }

    /**
     * The series of a metric, from the blocks that can hold it alone: read by ranges (adjacent blocks in one), each block's
     * bytes compared with its checksum first; the others are not read.
     */
    List<SeriesPoints> read(Storage storage, String metric, Predicate<SeriesId> filter) throws IOException {
        List<SeriesPoints> out = new ArrayList<>();
        int i = 0;
        while (i < blocks.size()) {
            if (!blocks.get(i).mayHold(metric)) {
                i++;
                continue;
            }
            int j = i;
            while (j + 1 < blocks.size() && blocks.get(j + 1).mayHold(metric)) {
                j++;
            }
            long from = blocks.get(i).offset();
            long to = blocks.get(j).offset() + blocks.get(j).length();
            byte[] bytes;
            try (InputStream in = storage.get(key, from, to - from)) {
                bytes = in.readAllBytes();
            }
            if (bytes.length != to - from) {
                throw new SegmentCorruptException(key, "byte " + (from + bytes.length), "shorter than when it was indexed", null);
            }
            for (int b = i; b <= j; b++) {
                Block block = blocks.get(b);
                MessageDigest sha = Sha256.digest();
                sha.update(bytes, (int) (block.offset() - from), block.length());
                if (!MessageDigest.isEqual(sha.digest(), block.sha256())) {
                    throw new SegmentCorruptException(key, "byte " + block.offset(), "an Avro block's SHA-256 is not the one recorded when"
                            + " the file was checked whole (" + HexFormat.of().formatHex(block.sha256()) + "): the file changed since", null);
                }
            }
            try (DataFileStream<SeriesBlock> records = records(header, new ByteArrayInputStream(bytes))) {
                SeriesBlock reuse = null;
                while (records.hasNext()) {
                    reuse = records.next(reuse);
                    if (reuse.getMetric().toString().equals(metric)) {
                        SeriesPoints series = SegmentCodec.decode(reuse);
                        if (filter.test(series.id())) {
                            out.add(series);
                        }
                    }
                }
            } catch (RuntimeException e) {
                throw new SegmentCorruptException(key, "bytes " + from + ".." + to, "unreadable: " + e.getMessage(), e);
            }
            i = j + 1;
        }
        return out;
    }
}
