package io.rewind.archive.storage;

import io.rewind.archive.crypto.ArchiveCipher;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Path;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Where the archive lives: a flat space of immutable objects named by keys such as
 * {@code v1/points/dt=2026-11-21/hour=13/p=0007/segment-0000000002.avro}. Narrow on purpose: every
 * implementation (local directory, S3) passes one contract test.
 *
 * <ul>
 *   <li>{@link #put} is atomic: a reader sees the whole object or none of it, never a part.</li>
 *   <li>{@link #list} returns keys in lexicographic order, as S3 does, lazily, page by page.</li>
 *   <li>Failures worth retrying (connection, timeout, throttling) are retried with backoff inside the
 *       implementation; what still fails is an {@link IOException} naming the key.</li>
 * </ul>
 */
public interface Storage extends AutoCloseable {

    /** Stores the file's bytes under the key, atomically, replacing any object there. Durable when it returns. */
    void put(String key, Path file) throws IOException;

    /** Stores the bytes under the key, atomically. Durable when it returns. */
    void put(String key, byte[] bytes) throws IOException;

    /** Streams the object. @throws NoSuchObjectException when there is none */
    InputStream get(String key) throws IOException;

    /** Streams {@code length} bytes of the object from {@code offset} (fewer at its end). */
    InputStream get(String key, long offset, long length) throws IOException;

    /** The object's size, or empty when there is none. */
    Optional<ObjectInfo> stat(String key) throws IOException;

    /**
     * The objects whose keys start with the prefix, in lexicographic key order, fetched lazily page by
     * page. Close the stream when done. Half-written temporary files are never listed. A failure while the
     * stream is read is an {@link java.io.UncheckedIOException} naming the prefix.
     */
    Stream<ObjectInfo> list(String prefix) throws IOException;

    /** Deletes the object; deleting a missing object is not an error. */
    void delete(String key) throws IOException;

    /** Where this storage is, for messages: {@code file:///var/lib/rewind}, {@code s3://bucket/prefix}. */
    URI uri();

    /** What its readers accept: {@link ReadPolicy#STRICT} unless the operator relaxed it ({@link Storages#withReadPolicy}). */
    default ReadPolicy readPolicy() {
        return ReadPolicy.STRICT;
    }

    /** The cipher its data files are written with and read with, when the archive is encrypted ({@link Storages#withCipher}). */
    default Optional<ArchiveCipher> cipher() {
        return Optional.empty();
    }

    @Override
    void close() throws IOException;

    /** One stored object. */
    record ObjectInfo(String key, long size) {
    }
}
