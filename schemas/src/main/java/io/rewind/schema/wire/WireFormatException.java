package io.rewind.schema.wire;

/** A record could not be encoded or decoded in the configured wire format. */
public class WireFormatException extends RuntimeException {
    public WireFormatException(String message, Throwable cause) {
        super(message, cause);
    }

    public WireFormatException(String message) {
        super(message);
    }
}
