package io.rewind.restore.targets;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.stumbleupon.async.Deferred;
import io.rewind.archive.storage.Backoff;
import io.rewind.opentsdb.hbase.OpenTsdbClient;
import io.rewind.restore.plan.OutputSeries;
import io.rewind.schema.PointKind;
import io.rewind.service.RejectFile;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import net.opentsdb.core.TSDB;
import net.opentsdb.uid.NoSuchUniqueName;
import org.hbase.async.HBaseException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes plain points straight into a cluster's HBase tables with OpenTSDB's own storage code
 * ({@code net.opentsdb.core.TSDB}, configured by the cluster's {@code opentsdb.conf}), the way
 * OpenTSDB's {@code import} tool does, but from the archive and on several threads. The TSDs are
 * not involved, so their HTTP and JSON work is saved, and a restore does not compete with the live
 * traffic they serve.
 *
 * <p>Each point is stored as a TSD stores a put: {@code TSDB.addPoint} with the value typed by the
 * TSD's own rule (an integer as a long; a float as a 4-byte float where it fits, else a double), the
 * timestamp in seconds or milliseconds as written, row keys, salting, UIDs and compaction per the
 * configuration, writes durable (HBase's WAL). A batch is acknowledged once HBase has every point,
 * so the checkpoint never counts a batch HBase does not hold. Points OpenTSDB refuses (an unknown
 * metric where auto-creation is off, a tag it does not accept) go to the reject file with its reason,
 * in the words of a TSD's {@code /api/put?details}; an HBase error fails the batch after the retries
 * asynchbase makes itself and ours, and a rerun continues. Rollup and histogram batches go to the
 * HTTP target, if one is given.
 */
public final class StorageTarget implements Target, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(StorageTarget.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** How to write; {@code others} takes the rollup and histogram batches, or is null. */
    public record Settings(Path config, Duration timeout, int maxAttempts, Duration backoffMin, Duration backoffMax,
            Target others) {
    }

    private final Settings settings;
    private final TSDB tsdb;
    private final RejectFile rejects;
    private final String name;
    private final AtomicLong retries = new AtomicLong();

    private StorageTarget(Settings settings, TSDB tsdb, RejectFile rejects) {
        this.settings = settings;
        this.tsdb = tsdb;
        this.rejects = rejects;
        this.name = "storage of " + settings.config();
    }

    /** Connects to the cluster named by the configuration and checks that its tables exist. */
    public static StorageTarget open(Settings settings, RejectFile rejects) throws IOException {
        return new StorageTarget(settings, OpenTsdbClient.connect(settings.config(), settings.timeout()), rejects);
    }

    @Override
    public long retries() {
        return retries.get() + (settings.others() == null ? 0 : settings.others().retries());
    }

    @Override
    public int write(Batch batch) throws IOException, InterruptedException {
        Target others = othersFor(batch, settings.others());
        if (others != null) {
            return others.write(batch);
        }
        return retried(settings.maxAttempts(), new Backoff(settings.backoffMin(), settings.backoffMax()), retries,
                HBaseException.class::isInstance, refused -> store(batch, refused), point -> reject(rejects, point, name));
    }

    /**
     * The target of a batch of rollup or histogram points, which a restore into storage sends over HTTP; null for plain
     * points.
     *
     * @throws IOException when there is no HTTP target for them
     */
    static Target othersFor(Batch batch, Target others) throws IOException {
        if (batch.kind() == PointKind.PUT) {
            return null;
        }
        if (others == null) {
            throw new IOException("the selection holds " + batch.kind().name().toLowerCase() + " points, which a restore into"
                    + " storage does not write: name a TSD with --target to send them over HTTP, or leave them out with --metric");
        }
        return others;
    }

    /** A point OpenTSDB refused, and why. */
    record Refused(OutputSeries series, int i, Throwable why) {
    }

    /** One try at storing a batch: adds the points OpenTSDB refuses to {@code refused}; throws a storage error. */
    @FunctionalInterface
    interface Attempt {
        void run(List<Refused> refused) throws IOException, InterruptedException;
    }

    /** Where refused points go once their batch is stored. */
    @FunctionalInterface
    interface RefusedSink {
        void accept(Refused refused) throws IOException;
    }

    /**
     * Tries a batch until it is stored, up to {@code maxAttempts} times while its failure is {@code retriable}; only the
     * points refused by the try that succeeded go to the sink, so a batch tried again never reports a point twice.
     *
     * @return the points refused
     */
    static int retried(int maxAttempts, Backoff backoff, AtomicLong retries, Predicate<Exception> retriable, Attempt attempt,
            RefusedSink sink) throws IOException, InterruptedException {
        for (int tried = 1; ; tried++) {
            List<Refused> refused = new ArrayList<>();
            try {
                attempt.run(refused);
            } catch (IOException | RuntimeException e) {
                if (!retriable.test(e)) {
                    throw e;
                }
                if (tried >= maxAttempts) {
                    throw new TargetUnavailableException("HBase did not store a batch after " + tried + " attempts; last: "
                            + OpenTsdbClient.describe(e), e);
                }
                retries.incrementAndGet();
                log.debug("attempt {} failed, retrying in {} ms: {}", tried, backoff.delayMs(), OpenTsdbClient.describe(e));
                backoff.pause();
                continue;
            }
            for (Refused point : refused) {
                sink.accept(point);
            }
            return refused.size();
        }
    }

    /**
     * Adds every point of the batch, flushes, and waits for HBase's answer to each. Writing a batch
     * again after an HBase error rewrites the same cells with the same values.
     *
     * @throws HBaseException the first storage error of the batch
     */
    private void store(Batch batch, List<Refused> refused) throws IOException, InterruptedException {
        List<Pending> pending = new ArrayList<>(batch.points());
        for (Slice slice : batch.slices()) {
            for (int i = slice.from(); i < slice.to(); i++) {
                try {
                    pending.add(new Pending(add(slice.series(), i), slice.series(), i));
                } catch (IllegalArgumentException | NoSuchUniqueName e) {
                    refused.add(new Refused(slice.series(), i, e));
                }
            }
        }
        tsdb.flush();
        long deadline = System.nanoTime() + settings.timeout().toNanos();
        for (Pending point : pending) {
            try {
                point.stored().join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
            } catch (InterruptedException | HBaseException e) {
                throw e;
            } catch (com.stumbleupon.async.TimeoutException e) {
                throw new IOException("HBase did not answer within " + settings.timeout().toSeconds() + " s (--timeout)", e);
            } catch (Exception e) {
                Throwable cause = OpenTsdbClient.unwrap(e);
                if (cause instanceof HBaseException storage) {
                    throw storage;
                }
                refused.add(new Refused(point.series(), point.i(), cause));
            }
        }
    }

    /** Point {@code i} of a series, and HBase's answer to it. */
    private record Pending(Deferred<Object> stored, OutputSeries series, int i) {
    }

    /** Point {@code i} as a TSD's {@code /api/put} stores it (OpenTSDB's PutDataPointRpc). */
    private Deferred<Object> add(OutputSeries series, int i) {
        long timestamp = series.wireTimestamp(i);
        if (!series.points().isFloatingPoint(i)) {
            return tsdb.addPoint(series.metric(), timestamp, series.points().valueBits(i), series.tags());
        }
        double value = Double.longBitsToDouble(series.points().valueBits(i));
        if (storedAsFloat(series, i)) {
            return tsdb.addPoint(series.metric(), timestamp, (float) value, series.tags());
        }
        return tsdb.addPoint(series.metric(), timestamp, value, series.tags());
    }

    /**
     * Whether a TSD stores the float point {@code i} on 4 bytes, as its put does (OpenTSDB's {@code Tags.fitsInFloat} of
     * the value's text: the text's double is a float); else on 8. The text a restore sends is {@link Double#toString} of
     * the archived double, whose parse is that double again, so the test is on the double itself, without the text; and
     * the float stored, the text's {@code Float.parseFloat}, is then the double narrowed.
     */
    static boolean storedAsFloat(OutputSeries series, int i) {
        return fitsInFloat(Double.longBitsToDouble(series.points().valueBits(i)));
    }

    /** OpenTSDB's {@code Tags.fitsInFloat(Double.toString(value))}, without the text. */
    static boolean fitsInFloat(double value) {
        return (float) value == value;
    }

    /** Records a point the cluster refused in the reject file, as a TSD would have been sent it, with its reason. */
    static void reject(RejectFile rejects, Refused point, String target) throws IOException {
        OutputSeries series = point.series();
        int i = point.i();
        // The point as a TSD would have been sent it: a one-point batch's JSON array.
        byte[] json = new Batch("", 0, series.kind(), List.of(new Slice(series, i, i + 1)), 1).json();
        // A TSD's /api/put?details says "Unknown metric" for a name it may not create, and the message otherwise.
        String reason = point.why() instanceof NoSuchUniqueName ? "Unknown metric" : OpenTsdbClient.describe(point.why());
        rejects.reject(JSON.readTree(json).get(0), reason, target);
    }

    /** Flushes what is buffered and compacts what the configuration compacts, as a TSD does when it stops. */
    @Override
    public void close() throws IOException {
        OpenTsdbClient.shutdown(tsdb, settings.timeout());
    }
}
