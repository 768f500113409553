package io.rewind.archive.location;

import io.rewind.archive.crypto.ArchiveCipher;
import io.rewind.archive.crypto.Keyset;
import io.rewind.archive.storage.ForwardingStorage;
import io.rewind.archive.storage.ReadPolicy;
import io.rewind.archive.storage.Storage;
import io.rewind.archive.storage.local.LocalStorage;
import io.rewind.archive.storage.s3.S3Config;
import io.rewind.archive.storage.s3.S3Storage;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.Optional;

/** Opens the storage a URI names: {@code file:///var/lib/rewind} (or a plain path), {@code s3://bucket/prefix?...}. */
public final class Storages {
    /** The environment variable every component reads the keyset's path from when no setting names one. */
    public static final String KEYSET_VARIABLE = "REWIND_KEYSET";

    private Storages() {
    }

    public static Storage open(String location) throws IOException {
        URI uri = location.contains("://") ? URI.create(location) : Path.of(location).toUri();
        return switch (uri.getScheme()) {
            case "file" -> new LocalStorage(Path.of(uri));
            case "s3" -> new S3Storage(S3Config.fromUri(uri));
            default -> throw new IllegalArgumentException("Unsupported storage '" + location
                    + "': use file:///path/to/dir, a plain path, or s3://bucket/prefix?endpoint=...&region=...&path-style=true");
        };
    }

    /** The storage, encrypted with the keyset at {@code keyset} when one is named (else by {@value #KEYSET_VARIABLE}). */
    public static Storage open(String location, Optional<Path> keyset) throws IOException {
        Optional<Path> file = keyset.or(() -> Optional.ofNullable(System.getenv(KEYSET_VARIABLE)).filter(s -> !s.isBlank()).map(Path::of));
        Storage storage = open(location);
        return file.isEmpty() ? storage : withCipher(storage, new ArchiveCipher(Keyset.read(file.get())));
    }

    /** The same storage, whose data files {@link io.rewind.archive.segment.SegmentFiles} write and read with the cipher. */
    public static Storage withCipher(Storage storage, ArchiveCipher cipher) {
        return new ForwardingStorage(storage) {
            @Override
            public Optional<ArchiveCipher> cipher() {
                return Optional.of(cipher);
            }
        };
    }

    /** The same storage, whose readers accept what the policy allows. */
    public static Storage withReadPolicy(Storage storage, ReadPolicy policy) {
        return policy.equals(storage.readPolicy()) ? storage : new ForwardingStorage(storage) {
            @Override
            public ReadPolicy readPolicy() {
                return policy;
            }
        };
    }
}
