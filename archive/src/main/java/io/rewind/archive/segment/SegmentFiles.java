package io.rewind.archive.segment;

import io.rewind.archive.ArchiveLayout;
import io.rewind.archive.storage.NoSuchObjectException;
import io.rewind.archive.storage.ReadPolicy;
import io.rewind.schema.FileKind;
import io.rewind.archive.storage.Storage;
import io.rewind.archive.Sha256;
import io.rewind.archive.crypto.ArchiveCipher;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * Segment and part files in storage: each data object {@code <key>} has a sidecar
 * {@code <key>.sha256} written after it, holding its SHA-256 in {@code sha256sum}'s format.
 */
public final class SegmentFiles {
    public static final String SIDECAR_SUFFIX = ".sha256";

    private SegmentFiles() {
    }

    /** What is stored under a published file's key: its size and SHA-256, which its sidecar and catalog record hold. */
    public record Stored(long byteSize, String sha256) {
    }

    /**
     * Puts the file, then its sidecar: a data object without a sidecar is one whose publication did not finish. When the
     * storage encrypts ({@link Storage#cipher()}), the file is encrypted first, and the sidecar holds the checksum of what
     * is stored, so that it can be checked without the keyset.
     */
    public static Stored publish(Storage storage, String key, SegmentWriter.WrittenFile file) throws IOException {
        if (storage.cipher().isEmpty()) {
            storage.put(key, file.path());
            storage.put(key + SIDECAR_SUFFIX, file.sidecar(fileName(key)));
            return new Stored(file.byteSize(), file.sha256());
        }
        Path encrypted = file.path().resolveSibling(file.path().getFileName() + ".encrypted");
        try {
            ArchiveCipher.Encrypted stored = storage.cipher().get().encrypt(file.path(), encrypted, key);
            storage.put(key, encrypted);
            storage.put(key + SIDECAR_SUFFIX, (stored.sha256() + "  " + fileName(key) + "\n").getBytes(StandardCharsets.UTF_8));
            return new Stored(stored.byteSize(), stored.sha256());
        } finally {
            Files.deleteIfExists(encrypted);
        }
    }

    /** Deletes a file and then its sidecar: the reverse of {@link #publish}. */
    public static void delete(Storage storage, String key) throws IOException {
        storage.delete(key);
        storage.delete(key + SIDECAR_SUFFIX);
    }

    /** The checksum the sidecar records, or empty when there is no sidecar. */
    public static Optional<String> sidecarSha256(Storage storage, String key) throws IOException {
        try (InputStream in = storage.get(key + SIDECAR_SUFFIX)) {
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
            int space = text.indexOf(' ');
            return Optional.of(space < 0 ? text : text.substring(0, space));
        } catch (NoSuchObjectException e) {
            return Optional.empty();
        }
    }

    /**
     * Opens a file for reading, checked before any of its points is handed out (guarantee 12): its bytes are read whole
     * (into memory, or a temporary file when large), and their SHA-256 compared with its sidecar's; then, with a keyset,
     * the file must be encrypted, and its header must say what its name says (a file copied or renamed over another is
     * refused). What the storage's {@link Storage#readPolicy() read policy} allows is relaxed: a file without sidecar, or
     * a plaintext one. A refusal is a {@link SegmentCorruptException} naming the file.
     */
    public static SegmentReader open(Storage storage, String key, Predicate<SeriesId> filter) throws IOException {
        return open(storage, key, filter, storage.readPolicy());
    }

    /** As {@link #open(Storage, String, Predicate)}, with the given policy instead of the storage's. */
    public static SegmentReader open(Storage storage, String key, Predicate<SeriesId> filter, ReadPolicy policy) throws IOException {
        return open(storage, key, filter, policy, IN_MEMORY_BYTES);
    }

    static SegmentReader open(Storage storage, String key, Predicate<SeriesId> filter, ReadPolicy policy, int inMemoryBytes)
            throws IOException {
        Optional<String> sha = sidecarSha256(storage, key);
        if (sha.isEmpty() && storage.stat(key).isEmpty()) {
            throw new java.io.FileNotFoundException(key + ": gone since it was listed (compaction superseded it, or retention"
                    + " expired its window, meanwhile): run the same command again; a restore continues from its checkpoint");
        }
        if (sha.isEmpty() && !policy.allowUnchecked()) {
            throw new SegmentCorruptException(key, "sidecar", "no checksum sidecar " + fileName(key) + SIDECAR_SUFFIX
                    + ": its publication did not finish, or the sidecar was deleted; refused unchecked (rewind verify names such"
                    + " files; --allow-unchecked reads them as they are)", null);
        }
        CheckedBytes checked = CheckedBytes.read(storage, key, sha, inMemoryBytes);
        SegmentReader reader = null;
        try {
            if (storage.cipher().isPresent() && !policy.allowPlaintext() && !checked.encrypted()) {
                throw new SegmentCorruptException(key, "byte 0", "not encrypted, though the archive is read with a keyset: a file"
                        + " Rewind did not write with this keyset; refused (--allow-plaintext reads files written before the"
                        + " archive was encrypted)", null);
            }
            InputStream in = checked.stream();
            reader = new SegmentReader(key, in, Optional.empty(), filter, stored -> ArchiveCipher.reading(storage.cipher(), stored, key));
            checkName(key, reader.metadata());
            return reader;
        } catch (IOException | RuntimeException e) {
            if (reader != null) {
                reader.close();
            }
            checked.discard();
            throw e;
        }
    }

    /** Refuses a file whose header says it is another file than its name does: one copied or renamed over it. */
    public static void checkName(String key, SegmentMetadata header) {
        Optional<ArchiveLayout.FileName> name = ArchiveLayout.parse(key);
        if (name.isEmpty()) {
            return; // not in the archive's layout (a test's, a benchmark's, an inspected file): nothing to compare
        }
        ArchiveLayout.FileName n = name.get();
        List<String> differ = new ArrayList<>();
        if (!n.topic().equals(header.topic())) {
            differ.add("topic " + header.topic());
        }
        if (header.windowStartMs() > n.windowStartMs() || header.windowEndMs() <= n.windowStartMs()) {
            differ.add("window " + java.time.Instant.ofEpochMilli(header.windowStartMs()));
        }
        if (n.isBaseline() != (header.kind() == FileKind.BASELINE)
                || !n.isBaseline() && n.segment() != (header.kind() == FileKind.SEGMENT)) {
            differ.add("kind " + header.kind());
        }
        if (!n.isBaseline() && n.partition() != header.partition()) {
            differ.add("partition " + header.partition());
        }
        if (!n.isBaseline() && !n.segment() && (n.firstOffset() != header.firstOffset() || n.lastOffset() != header.lastOffset())) {
            differ.add("offsets " + header.firstOffset() + "-" + header.lastOffset());
        }
        if (n.segment() && n.generation() != header.generation()) {
            differ.add("generation " + header.generation());
        }
        if (!differ.isEmpty()) {
            throw new SegmentCorruptException(key, "header", "its header names another file (" + String.join(", ", differ)
                    + "): copied or renamed over this one; refused", null);
        }
    }

    /** Files up to this size are checked in memory; larger ones through a temporary file. */
    static final int IN_MEMORY_BYTES = 8 << 20;

    /**
     * A file's stored bytes, read whole and checked against the expected checksum before anything reads them: in memory
     * up to {@link #IN_MEMORY_BYTES} bytes, else in a temporary file deleted when the stream closes.
     */
    private record CheckedBytes(byte[] bytes, Path file, boolean encrypted) {
        static CheckedBytes read(Storage storage, String key, Optional<String> sha, int inMemoryBytes) throws IOException {
            MessageDigest digest = Sha256.digest();
            byte[] head;
            int n;
            CheckedBytes read;
            try (InputStream in = new DigestInputStream(storage.get(key), digest)) {
                head = in.readNBytes(inMemoryBytes + 1); // grows with what it reads: a small part costs its size only
                n = head.length;
                if (n <= inMemoryBytes) {
                    read = new CheckedBytes(head, null, encrypted(head, n));
                } else {
                    Path file = Files.createTempFile("rewind-read-", ".avro");
                    try (OutputStream out = Files.newOutputStream(file)) {
                        out.write(head, 0, n);
                        in.transferTo(out);
                    } catch (IOException | RuntimeException e) {
                        Files.deleteIfExists(file);
                        throw e;
                    }
                    read = new CheckedBytes(null, file, encrypted(head, n));
                }
            }
            String actual = HexFormat.of().formatHex(digest.digest());
            if (sha.isPresent() && !sha.get().equalsIgnoreCase(actual)) {
                read.discard();
                throw new SegmentCorruptException(key, "whole file", "SHA-256 " + actual + " does not match the expected "
                        + sha.get() + " of its sidecar; refused before any of its points was read", null);
            }
            return read;
        }

        private static boolean encrypted(byte[] head, int n) {
            return ArchiveCipher.keyId(java.util.Arrays.copyOf(head, Math.min(n, 8))).isPresent();
        }

        InputStream stream() throws IOException {
            if (bytes != null) {
                return new java.io.ByteArrayInputStream(bytes);
            }
            Path path = file;
            return new java.io.FilterInputStream(new java.io.BufferedInputStream(Files.newInputStream(path), 1 << 16)) {
                @Override
                public void close() throws IOException {
                    try {
                        super.close();
                    } finally {
                        Files.deleteIfExists(path);
                    }
                }
            };
        }

        void discard() throws IOException {
            if (file != null) {
                Files.deleteIfExists(file);
            }
        }
    }

    /** Enough for any header: the schema, Rewind's metadata and a long list of superseded parts. */
    private static final long HEADER_BYTES = 1 << 20;

    /** The metadata in a file's header, read from its first bytes only. */
    public static SegmentMetadata readHeader(Storage storage, String key) throws IOException {
        long prefix = storage.cipher().isPresent() ? ArchiveCipher.storedPrefix(HEADER_BYTES) : HEADER_BYTES;
        try (SegmentReader reader = new SegmentReader(key, storage.get(key, 0, prefix), Optional.empty(), id -> true,
                stored -> ArchiveCipher.reading(storage.cipher(), stored, key))) {
            return reader.metadata();
        }
    }

    /** What {@link #verify} found: the file's problems, and whether its contents were read (not when encrypted without a keyset). */
    public record Check(List<String> problems, boolean contentsChecked) {
    }

    /**
     * Reads the file to its end; returns its problems, each naming the file, or nothing when it is sound. An encrypted file
     * without the keyset is checked against its checksum alone.
     */
    public static Check verify(Storage storage, String key) throws IOException {
        List<String> problems = new ArrayList<>();
        Optional<String> sha = sidecarSha256(storage, key);
        if (sha.isEmpty()) {
            problems.add(key + ": no sidecar " + key + SIDECAR_SUFFIX + " (publication did not finish, or it was deleted)");
        }
        if (storage.cipher().isEmpty()) {
            byte[] first;
            try (InputStream in = storage.get(key, 0, 8)) {
                first = in.readNBytes(8);
            }
            if (ArchiveCipher.keyId(first).isPresent()) {
                MessageDigest digest = Sha256.digest();
                try (InputStream in = new DigestInputStream(storage.get(key), digest)) {
                    in.transferTo(OutputStream.nullOutputStream());
                }
                String actual = HexFormat.of().formatHex(digest.digest());
                if (sha.isPresent() && !sha.get().equalsIgnoreCase(actual)) {
                    problems.add(key + ": SHA-256 " + actual + " does not match the expected " + sha.get());
                }
                return new Check(problems, false);
            }
        }
        // The missing sidecar is said above; the rest is checked as a restore would: checksum, encryption, name, every block.
        try (SegmentReader reader = open(storage, key, id -> true, storage.readPolicy().allowingUnchecked())) {
            reader.verifyToEnd();
        } catch (SegmentCorruptException e) {
            problems.add(e.getMessage());
        }
        return new Check(problems, true);
    }

    private static String fileName(String key) {
        return key.substring(key.lastIndexOf('/') + 1);
    }
}
