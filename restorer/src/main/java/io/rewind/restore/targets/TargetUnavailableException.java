package io.rewind.restore.targets;

import java.io.IOException;

/** A batch could not be written after every attempt; the restore stops and can be resumed. */
public final class TargetUnavailableException extends IOException {
    TargetUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
