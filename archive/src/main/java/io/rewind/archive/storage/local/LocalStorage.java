package io.rewind.archive.storage.local;

import io.rewind.archive.LookaheadIterator;
import io.rewind.archive.storage.Keys;
import io.rewind.archive.storage.NoSuchObjectException;
import io.rewind.archive.storage.Storage;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.UUID;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * Storage in a local directory (or a mounted file system). A put writes a temporary file in the
 * object's directory, fsyncs it, renames it over the key and fsyncs the directory, so an object is
 * either whole or absent, and durable once put returns. Temporary files a crash leaves behind are
 * never listed; {@link #removeTemporaryFiles} deletes them.
 */
public final class LocalStorage implements Storage {
    private final Path root;

    public LocalStorage(Path root) throws IOException {
        this.root = root.toAbsolutePath().normalize();
        Files.createDirectories(this.root);
    }

    @Override
    public void put(String key, Path file) throws IOException {
        Path target = path(key);
        Path temp = temporaryFor(target);
        try {
            Files.copy(file, temp, StandardCopyOption.REPLACE_EXISTING);
            publish(temp, target);
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    @Override
    public void put(String key, byte[] bytes) throws IOException {
        Path target = path(key);
        Path temp = temporaryFor(target);
        try {
            Files.write(temp, bytes, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            publish(temp, target);
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    @Override
    public InputStream get(String key) throws IOException {
        try {
            return Files.newInputStream(path(key));
        } catch (NoSuchFileException e) {
            throw new NoSuchObjectException(key, uri());
        }
    }

    @Override
    public InputStream get(String key, long offset, long length) throws IOException {
        FileChannel channel;
        try {
            channel = FileChannel.open(path(key), StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new NoSuchObjectException(key, uri());
        }
        channel.position(offset);
        InputStream whole = Channels.newInputStream(channel);
        return new InputStream() {
            private long left = length;

            @Override
            public int read() throws IOException {
                if (left <= 0) {
                    return -1;
                }
                int b = whole.read();
                left--;
                return b;
            }

            @Override
            public int read(byte[] buffer, int off, int len) throws IOException {
                if (left <= 0) {
                    return -1;
                }
                int n = whole.read(buffer, off, (int) Math.min(len, left));
                if (n > 0) {
                    left -= n;
                }
                return n;
            }

            @Override
            public void close() throws IOException {
                whole.close();
            }
        };
    }

    @Override
    public Optional<ObjectInfo> stat(String key) throws IOException {
        Path path = path(key);
        return Files.isRegularFile(path) ? Optional.of(new ObjectInfo(key, Files.size(path))) : Optional.empty();
    }

    @Override
    public Stream<ObjectInfo> list(String prefix) throws IOException {
        // Walk only below the deepest directory the prefix names, in key order.
        int slash = prefix.lastIndexOf('/');
        String dirKey = slash < 0 ? "" : prefix.substring(0, slash);
        Path start = dirKey.isEmpty() ? root : root.resolve(dirKey);
        if (!Files.isDirectory(start)) {
            return Stream.empty();
        }
        Iterator<ObjectInfo> walk = new SortedWalk(start, dirKey.isEmpty() ? "" : dirKey + "/", prefix);
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(walk, Spliterator.ORDERED | Spliterator.NONNULL), false);
    }

    @Override
    public void delete(String key) throws IOException {
        Path path = path(key);
        if (Files.deleteIfExists(path)) {
            fsyncDirectory(path.getParent());
        }
    }

    /** Deletes the temporary files that writes interrupted by a crash left behind; returns how many. */
    public int removeTemporaryFiles() throws IOException {
        List<Path> temps;
        try (Stream<Path> paths = Files.walk(root)) {
            temps = paths.filter(p -> p.getFileName().toString().startsWith(Keys.TEMP_PREFIX)).toList();
        }
        for (Path temp : temps) {
            Files.deleteIfExists(temp);
        }
        return temps.size();
    }

    @Override
    public URI uri() {
        return root.toUri();
    }

    @Override
    public void close() {
        // Nothing held open.
    }

    @Override
    public String toString() {
        return uri().toString();
    }

    private Path path(String key) {
        return root.resolve(Keys.check(key));
    }

    private static Path temporaryFor(Path target) throws IOException {
        Files.createDirectories(target.getParent());
        return target.resolveSibling(Keys.TEMP_PREFIX + UUID.randomUUID() + "-" + target.getFileName());
    }

    private static void publish(Path temp, Path target) throws IOException {
        try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE)) {
            channel.force(true);
        }
        try {
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("The file system of " + target.getParent() + " cannot rename atomically; "
                    + "Rewind needs that to publish objects whole", e);
        }
        fsyncDirectory(target.getParent());
    }

    private static void fsyncDirectory(Path dir) throws IOException {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }

    /**
     * Depth-first walk yielding files in lexicographic key order: the entries of a directory are sorted
     * by name, a subdirectory's name followed by '/', which orders them as their keys order.
     */
    private final class SortedWalk extends LookaheadIterator<ObjectInfo> {
        private final String prefix;
        private final Deque<Iterator<Entry>> stack = new ArrayDeque<>();

        private record Entry(Path path, String key, boolean directory) {
        }

        SortedWalk(Path start, String startKey, String prefix) {
            this.prefix = prefix;
            stack.push(entries(start, startKey).iterator());
        }

        @Override
        protected ObjectInfo computeNext() {
            while (!stack.isEmpty()) {
                Iterator<Entry> top = stack.peek();
                if (!top.hasNext()) {
                    stack.pop();
                    continue;
                }
                Entry entry = top.next();
                if (entry.directory()) {
                    String dirKey = entry.key() + "/";
                    if (dirKey.startsWith(prefix) || prefix.startsWith(dirKey)) {
                        stack.push(entries(entry.path(), dirKey).iterator());
                    }
                } else if (entry.key().startsWith(prefix)) {
                    try {
                        return new ObjectInfo(entry.key(), Files.size(entry.path()));
                    } catch (NoSuchFileException deletedMeanwhile) {
                        // skipped: it was deleted while listing
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }
            }
            return null;
        }

        private List<Entry> entries(Path dir, String dirKey) {
            List<Entry> entries = new ArrayList<>();
            try (DirectoryStream<Path> children = Files.newDirectoryStream(dir)) {
                for (Path child : children) {
                    String name = child.getFileName().toString();
                    if (name.startsWith(Keys.TEMP_PREFIX)) {
                        continue;
                    }
                    entries.add(new Entry(child, dirKey + name, Files.isDirectory(child)));
                }
            } catch (NoSuchFileException deletedMeanwhile) {
                return entries;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            entries.sort((a, b) -> (a.key() + (a.directory() ? "/" : "")).compareTo(b.key() + (b.directory() ? "/" : "")));
            return entries;
        }
    }
}
