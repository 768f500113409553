package io.rewind.tap.delivery;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The answer to one publish of {@code n} records: completes once each record is safe (acknowledged by Kafka, or
 * fsync'ed where it was put instead), or fails with the first record that could be kept nowhere.
 */
final class Acks {
    private final AtomicInteger left;
    private final Runnable whenAllDone;
    private final CompletableFuture<Void> future = new CompletableFuture<>();

    Acks(int records, Runnable whenAllDone) {
        this.left = new AtomicInteger(records);
        this.whenAllDone = whenAllDone;
    }

    CompletableFuture<Void> future() {
        return future;
    }

    /** One record is safe. */
    void done() {
        if (left.decrementAndGet() == 0) {
            whenAllDone.run();
            future.complete(null);
        }
    }

    /** One record is safe once {@code kept} completes; if it fails, so does the publish. */
    void after(CompletableFuture<Void> kept) {
        kept.whenComplete((ok, error) -> {
            if (error != null) {
                future.completeExceptionally(error);
            }
            done();
        });
    }
}
