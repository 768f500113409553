package io.rewind.archive.storage;

import java.io.FileNotFoundException;

/** The key names no object in the storage. */
public class NoSuchObjectException extends FileNotFoundException {
    public NoSuchObjectException(String key, java.net.URI storage) {
        super("No object '" + key + "' in " + storage);
    }
}
