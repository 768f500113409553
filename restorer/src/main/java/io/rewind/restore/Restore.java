package io.rewind.restore;

import io.rewind.archive.Sha256;
import io.rewind.archive.storage.Storage;
import io.rewind.restore.plan.Checkpoint;
import io.rewind.restore.plan.Transforms;
import io.rewind.restore.targets.Batch;
import io.rewind.restore.targets.Target;
import io.rewind.schema.PointKind;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A restore run: the plan's batches ({@link Batches}) replayed into the target, {@code parallelism} batches at a time,
 * finished batches recorded in the checkpoint and refused points counted.
 */
public final class Restore {
    private Restore() {
    }

    /** What a restore run did. */
    public record Result(long pointsSent, long pointsFromEarlierRuns, long rejected, long retries, Map<String, Long> perMetric,
            long elapsedMs) {
    }

    /** Counters a progress display reads while the restore runs. */
    public static final class Counts {
        public final AtomicLong sent = new AtomicLong();
        public final AtomicLong skipped = new AtomicLong();
        public final AtomicLong rejected = new AtomicLong();
    }

    /**
     * Replays the plan into the target; fails with the first error a sender could not overcome.
     *
     * <p>Every sender consumes the queue until it takes its own end marker, which it gets only after
     * every batch before it: nothing is ever taken out of the queue unsent, so a restore that returns
     * normally wrote every batch however slowly the target answered. After a failure the senders
     * skip what is left (it is not in the checkpoint, so a rerun sends it).
     */
    public static Result run(Storage storage, RestorePlan plan, Transforms transforms, int batchSize, int parallelism,
            Target target, Checkpoint checkpoint, Counts progress) throws IOException, InterruptedException {
        long started = System.nanoTime();
        BlockingQueue<Batch> queue = new ArrayBlockingQueue<>(parallelism * 2);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Batch end = new Batch("", -1, PointKind.PUT, List.of(), 0);
        List<Thread> senders = new ArrayList<>();
        for (int t = 0; t < parallelism; t++) {
            Thread sender = new Thread(() -> {
                for (Batch batch = take(queue, failure); batch != end; batch = take(queue, failure)) {
                    if (failure.get() != null) {
                        continue;
                    }
                    try {
                        int refused = target.write(batch);
                        if (checkpoint != null) {
                            checkpoint.acked(batch.unit(), batch.seq(), batch.points());
                        }
                        progress.sent.addAndGet(batch.points() - refused);
                        progress.rejected.addAndGet(refused);
                    } catch (Throwable e) { // an Error too: a sender that died unnoticed would leave its batch unwritten
                        failure.compareAndSet(null, e);
                    }
                }
            }, "rewind-restore-sender-" + t);
            sender.setDaemon(true);
            sender.start();
            senders.add(sender);
        }
        Map<String, Long> perMetric;
        try {
            perMetric = Batches.produce(storage, plan, transforms, batchSize, checkpoint, (batch, alreadyWritten) -> {
                if (alreadyWritten) {
                    progress.skipped.addAndGet(batch.points());
                    return;
                }
                while (!queue.offer(batch, 200, TimeUnit.MILLISECONDS)) {
                    throwIfFailed(failure);
                }
                throwIfFailed(failure);
            });
        } finally {
            for (int t = 0; t < parallelism; t++) {
                queue.put(end);
            }
            for (Thread sender : senders) {
                sender.join();
            }
        }
        throwIfFailed(failure);
        return new Result(progress.sent.get() + progress.rejected.get(), progress.skipped.get(), progress.rejected.get(),
                target.retries(), perMetric, (System.nanoTime() - started) / 1_000_000);
    }

    /** The next batch; an interrupt fails the restore, and the sender still consumes up to its end marker. */
    private static Batch take(BlockingQueue<Batch> queue, AtomicReference<Throwable> failure) {
        while (true) {
            try {
                return queue.take();
            } catch (InterruptedException e) {
                failure.compareAndSet(null, e);
            }
        }
    }

    private static void throwIfFailed(AtomicReference<Throwable> failure) throws IOException {
        Throwable e = failure.get();
        if (e instanceof IOException io) {
            throw io;
        }
        if (e instanceof RuntimeException runtime) {
            throw runtime;
        }
        if (e != null) {
            throw new IOException("a batch could not be written: " + e, e);
        }
    }

    /** Identifies a restore's parameters, so that a checkpoint is continued only by the same restore. */
    public static String fingerprint(List<String> arguments) {
        MessageDigest sha = Sha256.digest();
        for (String part : arguments) {
            sha.update(part.getBytes(StandardCharsets.UTF_8));
            sha.update((byte) 0);
        }
        return HexFormat.of().formatHex(sha.digest());
    }
}
