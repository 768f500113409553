package io.rewind.archive.storage;

import io.rewind.archive.crypto.ArchiveCipher;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Path;
import java.util.Optional;
import java.util.stream.Stream;

/** A storage that hands every call to another: the base of a view that changes one thing about it. */
public abstract class ForwardingStorage implements Storage {
    protected final Storage storage;

    protected ForwardingStorage(Storage storage) {
        this.storage = storage;
    }

    @Override
    public void put(String key, Path file) throws IOException {
        storage.put(key, file);
    }

    @Override
    public void put(String key, byte[] bytes) throws IOException {
        storage.put(key, bytes);
    }

    @Override
    public InputStream get(String key) throws IOException {
        return storage.get(key);
    }

    @Override
    public InputStream get(String key, long offset, long length) throws IOException {
        return storage.get(key, offset, length);
    }

    @Override
    public Optional<ObjectInfo> stat(String key) throws IOException {
        return storage.stat(key);
    }

    @Override
    public Stream<ObjectInfo> list(String prefix) throws IOException {
        return storage.list(prefix);
    }

    @Override
    public void delete(String key) throws IOException {
        storage.delete(key);
    }

    @Override
    public URI uri() {
        return storage.uri();
    }

    @Override
    public Optional<ArchiveCipher> cipher() {
        return storage.cipher();
    }

    @Override
    public ReadPolicy readPolicy() {
        return storage.readPolicy();
    }

    @Override
    public void close() throws IOException {
        storage.close();
    }
}
