package io.rewind.archive.segment;

import io.rewind.archive.storage.NoSuchObjectException;
import io.rewind.archive.storage.Storage;
import java.io.IOException;
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

    /** Puts the file, then its sidecar: a data object without a sidecar is one whose publication did not finish. */
    public static void publish(Storage storage, String key, SegmentWriter.WrittenFile file) throws IOException {
        storage.put(key, file.path());
        storage.put(key + SIDECAR_SUFFIX, file.sidecar(fileName(key)));
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

    /** Opens a file for streaming, checking it against its sidecar's checksum when there is one. */
    public static SegmentReader open(Storage storage, String key, Predicate<SeriesId> filter) throws IOException {
        Optional<String> sha = sidecarSha256(storage, key);
        return new SegmentReader(key, storage.get(key), sha, filter);
    }

    /** Reads the file to its end; returns its problems, each naming the file, or nothing when it is sound. */
    public static List<String> verify(Storage storage, String key) throws IOException {
        List<String> problems = new ArrayList<>();
        Optional<String> sha = sidecarSha256(storage, key);
        if (sha.isEmpty()) {
            problems.add(key + ": no sidecar " + key + SIDECAR_SUFFIX + " (publication did not finish, or it was deleted)");
        }
        try (SegmentReader reader = new SegmentReader(key, storage.get(key), sha, id -> true)) {
            reader.verifyToEnd();
        } catch (SegmentCorruptException e) {
            problems.add(e.getMessage());
        }
        return problems;
    }

    private static String fileName(String key) {
        return key.substring(key.lastIndexOf('/') + 1);
    }
}
