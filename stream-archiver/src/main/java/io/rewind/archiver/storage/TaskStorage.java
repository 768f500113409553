package io.rewind.archiver.storage;

import io.rewind.archive.storage.Storage;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.stream.Stream;

/**
 * The storage as one archiver task sees it, so that a task Kafka Streams revoked writes nothing more: after
 * {@link #revoke} returns, no call of the task is under way and every later one fails with {@link Revoked}. Object
 * names are deterministic, so without this a compaction still running for a revoked task could write a segment, or its
 * checksum sidecar, of the same name as the one the task's new owner writes.
 */
public final class TaskStorage implements Storage {
    /** The task was revoked: its storage work stops here, and the new owner of its partition does it again. */
    public static final class Revoked extends IOException {
        Revoked(String what) {
            super("the task was revoked; not doing: " + what);
        }
    }

    @FunctionalInterface
    private interface Call<T> {
        T call() throws IOException;
    }

    private final Storage storage;
    private final ReentrantReadWriteLock calls = new ReentrantReadWriteLock();
    private volatile boolean revoked;

    public TaskStorage(Storage storage) {
        this.storage = storage;
    }

    /**
     * Ends the task's storage work: waits up to {@code wait} for its calls under way to finish, and fails every later one.
     *
     * @return false when a call was still under way after {@code wait} (it may still complete)
     */
    public boolean revoke(Duration wait) throws InterruptedException {
        revoked = true;
        boolean idle = calls.writeLock().tryLock(wait.toMillis(), TimeUnit.MILLISECONDS);
        if (idle) {
            calls.writeLock().unlock();
        }
        return idle;
    }

    public boolean revoked() {
        return revoked;
    }

    private <T> T run(String what, Call<T> call) throws IOException {
        calls.readLock().lock();
        try {
            if (revoked) {
                throw new Revoked(what);
            }
            return call.call();
        } finally {
            calls.readLock().unlock();
        }
    }

    @Override
    public void put(String key, Path file) throws IOException {
        run("put " + key, () -> {
            storage.put(key, file);
            return null;
        });
    }

    @Override
    public void put(String key, byte[] bytes) throws IOException {
        run("put " + key, () -> {
            storage.put(key, bytes);
            return null;
        });
    }

    @Override
    public InputStream get(String key) throws IOException {
        return run("get " + key, () -> storage.get(key));
    }

    @Override
    public InputStream get(String key, long offset, long length) throws IOException {
        return run("get " + key, () -> storage.get(key, offset, length));
    }

    @Override
    public Optional<ObjectInfo> stat(String key) throws IOException {
        return run("stat " + key, () -> storage.stat(key));
    }

    @Override
    public Stream<ObjectInfo> list(String prefix) throws IOException {
        return run("list " + prefix, () -> storage.list(prefix));
    }

    @Override
    public void delete(String key) throws IOException {
        run("delete " + key, () -> {
            storage.delete(key);
            return null;
        });
    }

    @Override
    public URI uri() {
        return storage.uri();
    }

    /** The storage is the archiver's, shared by its tasks: a task leaves it open. */
    @Override
    public void close() {
    }

    @Override
    public java.util.Optional<io.rewind.archive.crypto.ArchiveCipher> cipher() {
        return storage.cipher();
    }
}
