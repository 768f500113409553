package io.rewind.archive.storage;

import io.rewind.archive.storage.local.LocalStorage;
import io.rewind.archive.storage.s3.S3Config;
import io.rewind.archive.storage.s3.S3Storage;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;

/** Opens the storage a URI names: {@code file:///var/lib/rewind} (or a plain path), {@code s3://bucket/prefix?...}. */
public final class Storages {
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
}
