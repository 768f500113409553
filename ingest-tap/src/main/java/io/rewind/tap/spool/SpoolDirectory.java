package io.rewind.tap.spool;

import io.rewind.service.config.ConfigException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/** Where the spool may live: a filesystem that keeps its files over a reboot, since what is spooled was acknowledged to clients. */
public final class SpoolDirectory {
    private static final Set<String> VOLATILE = Set.of("tmpfs", "ramfs");

    private SpoolDirectory() {
    }

    /** The type of the filesystem that holds {@code dir}, or would once created (its nearest existing ancestor's). */
    public static String filesystem(Path dir) throws IOException {
        Path existing = dir.toAbsolutePath();
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        return existing == null ? "" : Files.getFileStore(existing).type();
    }

    /** Refuses a spool directory on a tmpfs or ramfs unless {@code spool.allow.tmpfs} says so. */
    public static void refuseVolatile(Path dir, boolean allowed) throws IOException {
        String type = filesystem(dir);
        if (!allowed && VOLATILE.contains(type)) {
            throw new ConfigException("tap", List.of("The 'spool.dir' value '" + dir + "' is on a " + type + ": a reboot would lose the points"
                    + " the tap acknowledged and spooled, and its gaps. Put it on a disk that survives a reboot, or set spool.allow.tmpfs=true"
                    + " to accept that."));
        }
    }
}
