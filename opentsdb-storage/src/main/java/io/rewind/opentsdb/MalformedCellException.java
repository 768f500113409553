package io.rewind.opentsdb;

/** A row key or cell that does not follow OpenTSDB's storage format; the message says what is wrong with it. */
public final class MalformedCellException extends RuntimeException {
    public MalformedCellException(String message) {
        super(message);
    }
}
