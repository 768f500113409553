package io.rewind.tap.spool;

import io.rewind.service.DurableFile;
import io.rewind.tap.record.PointRecord;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The tap's local write-ahead log: points that could not go to Kafka yet, in the order they came,
 * on disk until Kafka has them. Append-only segment files ({@code spool-<n>.log}) of records
 * {@code [length][crc32c][receivedMs][keyLength][key][value]}; appends are made durable by one
 * {@code fsync} per group of appends (group commit) on the syncer thread, and an append's future
 * completes only after its fsync. The read position of the drainer is kept in {@code position},
 * replaced atomically; fully drained segments are deleted. On open, a torn or corrupt tail (a crash
 * during an append) is detected by length and checksum and cut off, never fatal.
 */
public final class Spool implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Spool.class);
    private static final int HEADER = 8;
    private static final String POSITION = "position";
    /** The drainer reads at most this much at once (its buffer's size) and at least {@link #READ_CHUNK_MIN}. */
    private static final int READ_CHUNK = 4 << 20;
    private static final int READ_CHUNK_MIN = 64 << 10;

    private final Path dir;
    private final long maxBytes;
    private final long segmentBytes;
    private final TreeMap<Long, Path> segments = new TreeMap<>();
    private final Thread syncer;
    private final Object syncLock = new Object();
    /** Held while the writer is forced or replaced; taken inside this spool's lock, never the other way round. */
    private final Object writerLock = new Object();
    private List<CompletableFuture<Void>> unsynced = new ArrayList<>();

    private FileChannel writer;
    private long writeSegment;
    private long writeOffset;
    private long readSegment;
    private long readOffset;
    /** Bytes appended and not yet drained: what counts against {@code maxBytes}. */
    private long pendingBytes;
    private long truncatedBytes;
    private boolean closed;
    /** The drainer's read buffer (reads hold this spool's lock). */
    private ByteBuffer read;
    private long appendedRecords;
    private long appendedBytes;

    /** Where the drainer is: a segment and an offset in it. */
    public record Position(long segment, long offset) {
    }

    /** Records read for draining, and the position after the last one. */
    public record Batch(List<PointRecord> records, Position end) {
    }

    private Spool(Path dir, long maxBytes, long segmentBytes) {
        this.dir = dir;
        this.maxBytes = maxBytes;
        this.segmentBytes = segmentBytes;
        this.syncer = new Thread(this::syncLoop, "rewind-spool-sync");
        this.syncer.setDaemon(true);
    }

    /** Opens the spool in {@code dir}, recovering what a previous tap left there. */
    public static Spool open(Path dir, long maxBytes, long segmentBytes) throws IOException {
        Spool spool = new Spool(dir, maxBytes, segmentBytes);
        spool.recover();
        spool.syncer.start();
        return spool;
    }

    private void recover() throws IOException {
        Files.createDirectories(dir);
        try (Stream<Path> files = Files.list(dir)) {
            files.forEach(file -> {
                String name = file.getFileName().toString();
                if (name.startsWith("spool-") && name.endsWith(".log")) {
                    segments.put(Long.parseLong(name.substring(6, name.length() - 4)), file);
                }
            });
        }
        Path positionFile = dir.resolve(POSITION);
        if (Files.exists(positionFile)) {
            String[] parts = Files.readString(positionFile).trim().split(" ");
            readSegment = Long.parseLong(parts[0]);
            readOffset = Long.parseLong(parts[1]);
        } else {
            readSegment = segments.isEmpty() ? 0 : segments.firstKey();
            readOffset = 0;
        }
        segments.headMap(readSegment).values().forEach(Spool::deleteQuietly);
        segments.headMap(readSegment).clear();
        // Every segment is checked to its end: a crash can only tear the last, but a bad disk can corrupt any.
        for (var entry : new ArrayList<>(segments.entrySet())) {
            long valid = validLength(entry.getValue());
            long size = Files.size(entry.getValue());
            if (valid < size) {
                truncatedBytes += size - valid;
                LOG.warn("Spool segment {} ends in {} bytes that are not a whole, valid record (a crash during an append): cut them off",
                        entry.getValue(), size - valid);
                try (FileChannel channel = FileChannel.open(entry.getValue(), StandardOpenOption.WRITE)) {
                    channel.truncate(valid);
                    channel.force(true);
                }
            }
        }
        if (segments.isEmpty()) {
            writeSegment = readSegment;
            segments.put(writeSegment, segmentPath(writeSegment));
        } else {
            writeSegment = segments.lastKey();
        }
        writer = FileChannel.open(segments.get(writeSegment), StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        writeOffset = writer.size();
        if (!segments.containsKey(readSegment)) {
            // The saved position's segment is gone (drained to its end and removed): its offset means nothing in another
            // segment, so the drain starts the next one at its beginning.
            readSegment = segments.firstKey();
            readOffset = 0;
        } else {
            // Bytes past the valid length were cut off above: nothing there was ever whole, so nothing there to skip.
            readOffset = Math.min(readOffset, readSegment == writeSegment ? writeOffset : Files.size(segments.get(readSegment)));
        }
        for (var entry : segments.entrySet()) {
            long size = entry.getKey() == writeSegment ? writeOffset : Files.size(entry.getValue());
            pendingBytes += entry.getKey() == readSegment ? size - readOffset : size;
        }
    }

    /** The length of the leading whole, valid records of a segment file. */
    private static long validLength(Path file) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = channel.size();
            long offset = 0;
            ByteBuffer header = ByteBuffer.allocate(HEADER);
            while (offset + HEADER <= size) {
                header.clear();
                channel.read(header, offset);
                header.flip();
                int length = header.getInt();
                int crc = header.getInt();
                if (length < 12 || offset + HEADER + length > size) {
                    return offset;
                }
                ByteBuffer body = ByteBuffer.allocate(length);
                channel.read(body, offset + HEADER);
                if (crc(body.array(), length) != crc) {
                    return offset;
                }
                offset += HEADER + length;
            }
            return offset;
        }
    }

    /**
     * Appends the records, in order, if they fit within {@code spool.max.bytes}; the future completes
     * once they are fsync'ed. Returns null when the spool is full.
     */
    public CompletableFuture<Void> append(List<PointRecord> records) {
        int bytes = 0;
        for (PointRecord record : records) {
            bytes += HEADER + 12 + record.key().length + record.value().length;
        }
        ByteBuffer buffer = ByteBuffer.allocate(bytes);
        for (PointRecord record : records) {
            int length = 12 + record.key().length + record.value().length;
            int start = buffer.position();
            buffer.putInt(length).putInt(0).putLong(record.receivedMs()).putInt(record.key().length).put(record.key()).put(record.value());
            buffer.putInt(start + 4, crc(buffer.array(), start + HEADER, length));
        }
        buffer.flip();
        CompletableFuture<Void> synced = new CompletableFuture<>();
        synchronized (this) {
            if (closed) {
                throw new IllegalStateException("The spool is closed");
            }
            if (pendingBytes + bytes > maxBytes && pendingBytes > 0) {
                return null;
            }
            try {
                if (writeOffset >= segmentBytes) {
                    roll();
                }
            } catch (IOException e) {
                throw new UncheckedIOException("Cannot append to the spool in " + dir + ": " + e.getMessage(), e);
            }
            long before = writeOffset;
            try {
                while (buffer.hasRemaining()) {
                    writeOffset += writer.write(buffer);
                }
            } catch (IOException e) {
                // A write cut short (a full disk) leaves part of a record: cut it off, so that later appends and the drainer
                // never read past a torn record.
                try {
                    writer.truncate(before);
                    writeOffset = before;
                } catch (IOException truncating) {
                    e.addSuppressed(truncating);
                }
                throw new UncheckedIOException("Cannot append to the spool in " + dir + ": " + e.getMessage(), e);
            }
            pendingBytes += bytes;
            appendedRecords += records.size();
            appendedBytes += bytes;
        }
        synchronized (syncLock) {
            unsynced.add(synced);
            syncLock.notifyAll();
        }
        return synced;
    }

    /** Called with this spool's lock held; waits for a running fsync, so the syncer never forces a channel this closed. */
    private void roll() throws IOException {
        synchronized (writerLock) {
            writer.force(false);
            writer.close();
            writeSegment++;
            Path next = segmentPath(writeSegment);
            segments.put(writeSegment, next);
            writer = FileChannel.open(next, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
            writeOffset = 0;
        }
    }

    /** Group commit: one fsync for every append that came in since the last one. */
    private void syncLoop() {
        while (true) {
            List<CompletableFuture<Void>> batch;
            synchronized (syncLock) {
                while (unsynced.isEmpty() && !closed) {
                    try {
                        syncLock.wait();
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                if (unsynced.isEmpty()) {
                    return;
                }
                batch = unsynced;
                unsynced = new ArrayList<>();
            }
            try {
                // Every append of the batch is in the current segment, or in one that roll() forced before closing it.
                synchronized (writerLock) {
                    writer.force(false);
                }
                batch.forEach(future -> future.complete(null));
            } catch (IOException | RuntimeException e) {
                batch.forEach(future -> future.completeExceptionally(e));
            }
        }
    }

    /**
     * Reads up to {@code maxRecords} records from the drain position; an empty batch when everything is drained. The bytes
     * are read into one buffer the spool keeps for its drainer, and no more of them than the records asked for need.
     */
    public synchronized Batch read(int maxRecords) {
        List<PointRecord> records = new ArrayList<>();
        long segment = readSegment;
        long offset = readOffset;
        try {
            while (records.size() < maxRecords) {
                long end = segment == writeSegment ? writeOffset : Files.size(segments.get(segment));
                if (offset >= end) {
                    if (segment == writeSegment) {
                        break;
                    }
                    segment = segments.higherKey(segment);
                    offset = 0;
                    continue;
                }
                try (FileChannel channel = FileChannel.open(segments.get(segment), StandardOpenOption.READ)) {
                    ByteBuffer buffer = readBuffer(channel, offset, end, maxRecords - records.size());
                    while (records.size() < maxRecords && buffer.remaining() >= HEADER) {
                        int start = buffer.position();
                        int length = buffer.getInt(start);
                        if (length < 12 || length > end - offset - HEADER) {
                            throw new IOException("no whole record at offset " + offset + " of " + segments.get(segment));
                        }
                        if (buffer.remaining() < HEADER + length) {
                            break;
                        }
                        buffer.position(start + HEADER);
                        long receivedMs = buffer.getLong();
                        byte[] key = new byte[buffer.getInt()];
                        buffer.get(key);
                        byte[] value = new byte[length - 12 - key.length];
                        buffer.get(value);
                        records.add(new PointRecord(key, value, receivedMs));
                        offset += HEADER + length;
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read the spool in " + dir + ": " + e.getMessage(), e);
        }
        return new Batch(records, new Position(segment, offset));
    }

    /**
     * The drainer's buffer, filled from {@code offset} with the bytes up to {@code end}, as far as {@code records} records of
     * the average size appended so far need, and at least the first record whole (a record larger than the buffer gets a
     * buffer of its size, kept for the next ones).
     */
    private ByteBuffer readBuffer(FileChannel channel, long offset, long end, int records) throws IOException {
        long available = end - offset;
        if (read == null) {
            read = ByteBuffer.allocate(READ_CHUNK);
        }
        ByteBuffer buffer = read;
        buffer.clear().limit((int) Math.min(Math.min(available, Math.max(READ_CHUNK_MIN, (long) records * averageRecordBytes())),
                buffer.capacity()));
        fill(channel, buffer, offset);
        if (buffer.position() >= HEADER) {
            long first = HEADER + (long) buffer.getInt(0);
            if (first > buffer.position() && first <= available) {
                if (first > buffer.capacity()) {
                    ByteBuffer larger = ByteBuffer.allocate((int) first);
                    larger.put(buffer.flip());
                    read = buffer = larger;
                }
                buffer.limit((int) first);
                fill(channel, buffer, offset);
            }
        }
        return buffer.flip();
    }

    private static void fill(FileChannel channel, ByteBuffer buffer, long offset) throws IOException {
        while (buffer.hasRemaining() && channel.read(buffer, offset + buffer.position()) > 0) {
            // read on to the buffer's limit
        }
    }

    /** The average bytes a record takes in the spool (header included), from what was appended; 128 before any append. */
    private long averageRecordBytes() {
        return appendedRecords == 0 ? 128 : Math.max(HEADER + 12, appendedBytes / appendedRecords);
    }

    /** Records that everything before {@code position} is in Kafka: saved atomically, drained segments deleted. */
    public void commit(Position position) {
        List<Path> drained = new ArrayList<>();
        synchronized (this) {
            long freed = 0;
            long segment = readSegment;
            long offset = readOffset;
            while (segment < position.segment()) {
                try {
                    freed += Files.size(segments.get(segment)) - offset;
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                drained.add(segments.remove(segment));
                segment = segments.ceilingKey(segment + 1);
                offset = 0;
            }
            freed += position.offset() - offset;
            pendingBytes -= freed;
            readSegment = position.segment();
            readOffset = position.offset();
            try {
                DurableFile.replace(dir.resolve(POSITION), (readSegment + " " + readOffset + "\n").getBytes());
            } catch (IOException e) {
                throw new UncheckedIOException("Cannot save the spool's drain position in " + dir + ": " + e.getMessage(), e);
            }
        }
        drained.forEach(Spool::deleteQuietly);
    }

    /** Bytes appended and not yet drained. */
    public synchronized long pendingBytes() {
        return pendingBytes;
    }

    public synchronized boolean isEmpty() {
        return pendingBytes == 0;
    }

    /** Bytes cut off at open because they were not whole, valid records. */
    public long truncatedBytes() {
        return truncatedBytes;
    }

    public long maxBytes() {
        return maxBytes;
    }

    public Path dir() {
        return dir;
    }

    private Path segmentPath(long n) {
        return dir.resolve(String.format("spool-%020d.log", n));
    }

    private static int crc(byte[] bytes, int length) {
        return crc(bytes, 0, length);
    }

    private static int crc(byte[] bytes, int offset, int length) {
        CRC32C crc = new CRC32C();
        crc.update(bytes, offset, length);
        return (int) crc.getValue();
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            LOG.warn("Cannot delete drained spool segment {}: {}", file, e.getMessage());
        }
    }

    /** Syncs what was appended and closes; appends after this fail. Closing again does nothing. */
    @Override
    public void close() throws IOException {
        synchronized (syncLock) {
            if (closed) {
                return;
            }
            closed = true;
            syncLock.notifyAll();
        }
        try {
            syncer.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        synchronized (this) {
            closed = true;
            synchronized (writerLock) {
                writer.force(true);
                writer.close();
            }
        }
    }
}
