package io.rewind.schema.wire;

/** The Schema Registry refused a request or could not be reached. */
public class SchemaRegistryException extends WireFormatException {
    private final boolean retriable;

    public SchemaRegistryException(String message, boolean retriable, Throwable cause) {
        super(message, cause);
        this.retriable = retriable;
    }

    /** True for failures worth retrying (connection errors, timeouts, 5xx); false when the request itself is wrong. */
    public boolean retriable() {
        return retriable;
    }
}
