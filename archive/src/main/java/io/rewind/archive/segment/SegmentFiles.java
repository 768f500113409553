package io.rewind.archive.segment;

import io.rewind.archive.storage.NoSuchObjectException;
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

    /** Opens a file for streaming (decrypting it when it is encrypted), checking it against its sidecar's checksum. */
    public static SegmentReader open(Storage storage, String key, Predicate<SeriesId> filter) throws IOException {
        Optional<String> sha = sidecarSha256(storage, key);
        return new SegmentReader(key, storage.get(key), sha, filter, stored -> ArchiveCipher.reading(storage.cipher(), stored, key));
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
        try (SegmentReader reader = open(storage, key, id -> true)) {
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
