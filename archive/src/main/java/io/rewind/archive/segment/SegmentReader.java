package io.rewind.archive.segment;

import io.rewind.archive.Sha256;
import io.rewind.archive.LookaheadIterator;
import io.rewind.schema.AvroTrust;
import io.rewind.schema.SeriesBlock;
import java.io.Closeable;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.DigestInputStream;
import java.util.HexFormat;
import java.util.Optional;
import java.util.function.Predicate;
import org.apache.avro.file.DataFileStream;
import org.apache.avro.specific.SpecificDatumReader;

/**
 * Streams the series of one segment or part file in file order, decoding only the blocks the filter
 * keeps. Detects what went wrong with a file and says which and where: a bad header, a block that does
 * not decompress or decode, a missing sync marker, a truncated end, or bytes that do not match the
 * expected SHA-256 (checked when the stream has been read to its end).
 */
public final class SegmentReader extends LookaheadIterator<SeriesPoints> implements Closeable {
    static {
        AvroTrust.trustRewindSchemas();
    }

    private final String name;
    private final CountingInputStream counted;
    private final DigestInputStream digested;
    private final InputStream content;
    private final DataFileStream<SeriesBlock> avro;
    private final SegmentMetadata metadata;
    private final Predicate<SeriesId> filter;
    private final Optional<String> expectedSha256;
    private SeriesBlock reuse;
    private long blocksRead;
    private long pointsRead;

    /**
     * @param name           the file's name for messages, e.g. its storage key
     * @param expectedSha256 the checksum from the sidecar or the catalog, if known
     * @param filter         which series to decode; the others are skipped
     */
    public SegmentReader(String name, InputStream in, Optional<String> expectedSha256, Predicate<SeriesId> filter) {
        this(name, in, expectedSha256, filter, stored -> stored);
    }

    /** What turns the stored bytes into the file's content: decryption, for an encrypted archive. */
    @FunctionalInterface
    public interface Content {
        InputStream of(InputStream stored) throws IOException;
    }

    /**
     * @param content what the stored bytes (whose checksum is checked) are read through: a decryption, or nothing
     */
    public SegmentReader(String name, InputStream in, Optional<String> expectedSha256, Predicate<SeriesId> filter, Content content) {
        this.name = name;
        this.expectedSha256 = expectedSha256;
        this.filter = filter;
        this.counted = new CountingInputStream(in);
        this.digested = new DigestInputStream(counted, Sha256.digest());
        digested.on(expectedSha256.isPresent()); // a file checked before it is opened (SegmentFiles.open) is not hashed again
        try {
            this.content = content.of(digested);
        } catch (IOException e) {
            closeQuietly(in);
            throw new SegmentCorruptException(name, "header, byte " + counted.count, "unreadable: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            closeQuietly(in);
            throw e;
        }
        try {
            this.avro = new DataFileStream<>(this.content, new SpecificDatumReader<>(SeriesBlock.class));
        } catch (IOException | RuntimeException e) {
            closeQuietly(in);
            throw new SegmentCorruptException(name, "header, byte " + counted.count, "not a readable Avro file: " + causes(e), e);
        }
        try {
            this.metadata = SegmentMetadata.fromHeader(avro::getMeta, name);
        } catch (RuntimeException e) {
            closeQuietly(avro);
            throw e;
        }
    }

    public SegmentReader(String name, InputStream in) {
        this(name, in, Optional.empty(), id -> true);
    }

    public String name() {
        return name;
    }

    public SegmentMetadata metadata() {
        return metadata;
    }

    @Override
    protected SeriesPoints computeNext() {
        while (true) {
            boolean more;
            try {
                more = avro.hasNext();
            } catch (RuntimeException e) {
                throw corrupt(e);
            }
            if (!more) {
                verify();
                return null;
            }
            SeriesBlock block;
            try {
                block = avro.next(reuse);
                reuse = block;
                blocksRead++;
                pointsRead += block.getCount();
            } catch (IOException | RuntimeException e) {
                throw corrupt(e);
            }
            SeriesPoints decoded;
            try {
                decoded = SegmentCodec.decode(block);
            } catch (RuntimeException e) {
                throw corrupt(e);
            }
            if (filter.test(decoded.id())) {
                return decoded;
            }
        }
    }

    /** Reads to the end, checking every block and the checksum. */
    public void verifyToEnd() {
        while (hasNext()) {
            next();
        }
    }

    private void verify() {
        try {
            content.transferTo(java.io.OutputStream.nullOutputStream()); // to the end of the stored bytes, through the decryption
            digested.transferTo(java.io.OutputStream.nullOutputStream());
        } catch (IOException e) {
            throw corrupt(e);
        }
        if (blocksRead != metadata.seriesCount() || pointsRead != metadata.pointCount()) {
            throw new SegmentCorruptException(name, "end, byte " + counted.count, "truncated: " + blocksRead + " of "
                    + metadata.seriesCount() + " series and " + pointsRead + " of " + metadata.pointCount() + " points", null);
        }
        if (expectedSha256.isEmpty()) {
            return;
        }
        String actual = HexFormat.of().formatHex(digested.getMessageDigest().digest());
        if (!expectedSha256.get().equalsIgnoreCase(actual)) {
            throw new SegmentCorruptException(name, "end, byte " + counted.count,
                    "SHA-256 " + actual + " does not match the expected " + expectedSha256.get(), null);
        }
    }

    /** The messages of an exception and its causes: what went wrong beneath Avro, such as a failed decryption. */
    private static String causes(Throwable e) {
        StringBuilder text = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            String message = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
            if (text.indexOf(message) < 0) {
                text.append(text.length() == 0 ? "" : ": ").append(message);
            }
        }
        return text.toString();
    }

    private SegmentCorruptException corrupt(Exception e) {
        String why = causes(e);
        return new SegmentCorruptException(name, "record " + (blocksRead + 1) + ", near byte " + counted.count,
                "unreadable: " + why, e);
    }

    @Override
    public void close() throws IOException {
        avro.close();
    }

    private static void closeQuietly(Closeable closeable) {
        try {
            closeable.close();
        } catch (IOException ignored) {
            // already failing
        }
    }

    private static final class CountingInputStream extends FilterInputStream {
        long count;

        CountingInputStream(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                count++;
            }
            return b;
        }

        @Override
        public int read(byte[] buffer, int off, int len) throws IOException {
            int n = super.read(buffer, off, len);
            if (n > 0) {
                count += n;
            }
            return n;
        }
    }
}
