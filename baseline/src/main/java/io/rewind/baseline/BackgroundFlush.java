package io.rewind.baseline;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * A reader's flushes, on a thread of their own: the reader hands over a full buffer and goes on scanning into a new
 * one while the files of the full one are encoded, compressed and published. One flush at a time: handing over the
 * next waits for the one before, so a reader holds at most two buffers, and a flush that failed fails the reader at
 * its next hand-over or at {@link #await()}.
 */
final class BackgroundFlush implements AutoCloseable {
    private final ExecutorService thread = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "rewind-baseline-writer");
        t.setDaemon(true);
        return t;
    });
    private Future<Void> pending;

    /** Waits for the flush before, then starts this one. */
    void submit(Callable<Void> flush) throws IOException, InterruptedException {
        await();
        pending = thread.submit(flush);
    }

    /** Waits for the flush under way, if any; throws what it failed with. */
    void await() throws IOException, InterruptedException {
        Future<Void> last = pending;
        pending = null;
        if (last == null) {
            return;
        }
        try {
            last.get();
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof IOException io) {
                throw io;
            }
            if (cause instanceof RuntimeException runtime) {
                throw runtime;
            }
            if (cause instanceof InterruptedException interrupted) {
                throw interrupted;
            }
            throw new UncheckedIOException(new IOException("writing baseline files failed", cause));
        }
    }

    /** Waits for the flush under way to end, whatever its outcome: before a range is read again, none may still be writing. */
    void awaitQuietly() throws InterruptedException {
        try {
            await();
        } catch (IOException | RuntimeException ignored) {
            // the range is read again from its start; its files are deleted first
        }
    }

    @Override
    public void close() {
        thread.shutdownNow();
    }
}
