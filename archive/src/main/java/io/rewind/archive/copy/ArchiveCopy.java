package io.rewind.archive.copy;

import io.rewind.archive.ArchiveLayout;
import io.rewind.archive.RateLimit;
import io.rewind.archive.Sha256;
import io.rewind.archive.segment.SegmentFiles;
import io.rewind.archive.storage.NoSuchObjectException;
import io.rewind.archive.storage.Storage;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * A second copy of an archive in another storage (another region, another provider): copies what the target lacks,
 * byte for byte (an encrypted archive stays encrypted), and checks each data file's checksum on both sides.
 *
 * <ul>
 *   <li>A data file is copied with its checksum sidecar: its bytes are checked against the source's sidecar as they are
 *       read, stored, read back from the target and checked again, and only then is the sidecar stored, so that the
 *       target, like the source, never holds a sidecar for a file that is not whole. A file whose sidecar the source
 *       lacks is still being published there: it is left for the next run.</li>
 *   <li>A file the target holds with the source's sidecar is already copied: a rerun continues an interrupted copy.</li>
 *   <li>Other objects (a baseline's progress) are copied when their bytes differ.</li>
 *   <li>A file the source deleted between its listing and its copy (a compaction that ran meanwhile) is work left: what
 *       replaced it was not listed, so the next run copies that.</li>
 *   <li>With {@code delete}, the Rewind files the source no longer holds (superseded parts, expired windows) are deleted
 *       from the target once every copy of the run succeeded, so that the target never lacks a segment whose parts it
 *       lost. A run with a problem or with work left deletes nothing: a segment that failed its checksum, or that was
 *       replaced in the source while the run copied, is not in the target, and its window's parts there are its only
 *       copy.</li>
 * </ul>
 */
public final class ArchiveCopy {
    /** Objects small enough to compare by content. */
    private static final long SMALL = 1 << 20;

    private ArchiveCopy() {
    }

    /** How to copy. */
    public record Options(boolean delete, boolean dryRun, int parallelism, RateLimit bytesPerSecond, Path scratch) {
    }

    /**
     * What a run did, and the problems it found (each naming its object). {@code gone}: files the source deleted between
     * its listing and their copy, which the next run replaces with what the source holds then.
     */
    public record Result(long copied, long copiedBytes, long alreadyThere, long unpublished, long gone, long deleted,
            List<String> problems, long elapsedMs) {
        public boolean sound() {
            return problems.isEmpty();
        }

        /** The target holds everything the listing named: no problem and no work left (deletions, if asked, were made). */
        public boolean complete() {
            return sound() && gone == 0;
        }
    }

    /** Counters a progress display reads while the copy runs. */
    public static final class Counts {
        public final AtomicLong copied = new AtomicLong();
        public final AtomicLong copiedBytes = new AtomicLong();
        public final AtomicLong alreadyThere = new AtomicLong();
        public final AtomicLong gone = new AtomicLong();
    }

    private enum Action {
        COPY_FILE, COPY_OBJECT, CHECK_FILE, CHECK_OBJECT
    }

    private record Work(String key, long size, Action action) {
    }

    public static Result run(Storage from, Storage to, Options options, Counts progress) throws IOException, InterruptedException {
        long started = System.nanoTime();
        Map<String, Long> source = listing(from);
        Map<String, Long> target = listing(to);
        List<Work> work = new ArrayList<>();
        long unpublished = 0;
        List<String> problems = java.util.Collections.synchronizedList(new ArrayList<>());
        for (Map.Entry<String, Long> object : source.entrySet()) {
            String key = object.getKey();
            if (key.endsWith(SegmentFiles.SIDECAR_SUFFIX)) {
                if (!source.containsKey(dataKey(key))) {
                    problems.add(dataKey(key) + ": the source holds its sidecar but not the file (rewind verify on the source names it):"
                            + " nothing copied");
                }
                continue; // copied with its file
            }
            boolean dataFile = ArchiveLayout.parse(key).isPresent();
            if (dataFile && !source.containsKey(key + SegmentFiles.SIDECAR_SUFFIX)) {
                unpublished++;
                continue;
            }
            Long there = target.get(key);
            boolean sameSize = there != null && there.equals(object.getValue());
            if (dataFile) {
                work.add(new Work(key, object.getValue(), sameSize && target.containsKey(key + SegmentFiles.SIDECAR_SUFFIX)
                        ? Action.CHECK_FILE : Action.COPY_FILE));
            } else {
                work.add(new Work(key, object.getValue(), sameSize && object.getValue() <= SMALL ? Action.CHECK_OBJECT
                        : sameSize ? null : Action.COPY_OBJECT));
            }
        }
        work.removeIf(w -> {
            if (w.action() == null) {
                progress.alreadyThere.incrementAndGet(); // a large object of the same size: immutable in Rewind's layout
                return true;
            }
            return false;
        });
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, options.parallelism()), r -> {
            Thread t = new Thread(r, "rewind-copy");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (Work w : work) {
                futures.add(pool.submit(() -> {
                    copy(from, to, w, options, progress, problems);
                    return null;
                }));
            }
            for (Future<?> future : futures) {
                try {
                    future.get();
                } catch (ExecutionException e) {
                    if (e.getCause() instanceof IOException io) {
                        throw io;
                    }
                    throw new IOException(e.getCause().getMessage(), e.getCause());
                }
            }
        } finally {
            pool.shutdownNow();
        }
        long deleted = 0;
        if (options.delete() && problems.isEmpty() && progress.gone.get() == 0) {
            for (String key : target.keySet()) {
                boolean rewindObject = ArchiveLayout.parse(key).isPresent() || ArchiveLayout.isBaselineState(key)
                        || ArchiveLayout.isGapRecord(key);
                if (rewindObject && !source.containsKey(key)) {
                    if (!options.dryRun()) {
                        if (ArchiveLayout.parse(key).isPresent()) {
                            SegmentFiles.delete(to, key);
                        } else {
                            to.delete(key);
                        }
                    }
                    deleted++;
                }
            }
        }
        List<String> sorted = new ArrayList<>(problems);
        sorted.sort(null);
        return new Result(progress.copied.get(), progress.copiedBytes.get(), progress.alreadyThere.get(), unpublished, progress.gone.get(),
                deleted, sorted, (System.nanoTime() - started) / 1_000_000);
    }

    private static void copy(Storage from, Storage to, Work w, Options options, Counts progress, List<String> problems)
            throws IOException, InterruptedException {
        switch (w.action()) {
            case CHECK_FILE -> {
                Optional<String> want = SegmentFiles.sidecarSha256(from, w.key());
                if (want.isPresent() && want.equals(SegmentFiles.sidecarSha256(to, w.key()))) {
                    progress.alreadyThere.incrementAndGet();
                } else {
                    copy(from, to, new Work(w.key(), w.size(), Action.COPY_FILE), options, progress, problems);
                }
            }
            case CHECK_OBJECT -> {
                if (Arrays.equals(bytes(from, w.key()), bytes(to, w.key()))) {
                    progress.alreadyThere.incrementAndGet();
                } else {
                    copy(from, to, new Work(w.key(), w.size(), Action.COPY_OBJECT), options, progress, problems);
                }
            }
            case COPY_OBJECT -> {
                if (!options.dryRun()) {
                    options.bytesPerSecond().acquire(w.size());
                    byte[] content = bytes(from, w.key());
                    if (content == null) {
                        progress.gone.incrementAndGet(); // deleted in the source since the listing
                        return;
                    }
                    to.put(w.key(), content);
                }
                progress.copied.incrementAndGet();
                progress.copiedBytes.addAndGet(w.size());
            }
            case COPY_FILE -> copyFile(from, to, w, options, progress, problems);
        }
    }

    private static void copyFile(Storage from, Storage to, Work w, Options options, Counts progress, List<String> problems)
            throws IOException, InterruptedException {
        String key = w.key();
        byte[] sidecar = bytes(from, key + SegmentFiles.SIDECAR_SUFFIX);
        Optional<String> want = SegmentFiles.sidecarSha256(from, key);
        if (want.isEmpty()) {
            progress.gone.incrementAndGet(); // the source deleted it since the listing
            return;
        }
        if (options.dryRun()) {
            progress.copied.incrementAndGet();
            progress.copiedBytes.addAndGet(w.size());
            return;
        }
        Files.createDirectories(options.scratch());
        Path local = Files.createTempFile(options.scratch(), "copy-", ".avro");
        try {
            String read;
            try (InputStream in = from.get(key); OutputStream out = Files.newOutputStream(local)) {
                read = copyCounting(in, out, options.bytesPerSecond());
            } catch (NoSuchObjectException gone) {
                progress.gone.incrementAndGet(); // superseded and deleted in the source since the listing
                return;
            }
            if (!read.equals(want.get())) {
                problems.add(key + ": the source's bytes have SHA-256 " + read + ", its sidecar says " + want.get()
                        + ": not copied (rewind verify on the source names the damage)");
                return;
            }
            to.put(key, local);
            String stored;
            try (InputStream in = to.get(key)) {
                stored = copyCounting(in, OutputStream.nullOutputStream(), RateLimit.of(0));
            }
            if (!stored.equals(want.get())) {
                problems.add(key + ": the target holds bytes with SHA-256 " + stored + " after the copy, the source " + want.get()
                        + ": its sidecar was not stored, the next run copies it again");
                return;
            }
            to.put(key + SegmentFiles.SIDECAR_SUFFIX, sidecar);
            progress.copied.incrementAndGet();
            progress.copiedBytes.addAndGet(w.size());
        } finally {
            Files.deleteIfExists(local);
        }
    }

    /** Copies the stream and returns the SHA-256 of what went through, at most the limit's bytes per second. */
    private static String copyCounting(InputStream in, OutputStream out, RateLimit limit) throws IOException, InterruptedException {
        MessageDigest sha = Sha256.digest();
        byte[] buffer = new byte[64 * 1024];
        try (DigestInputStream digesting = new DigestInputStream(in, sha)) {
            for (int n; (n = digesting.read(buffer)) > 0; ) {
                limit.acquire(n);
                out.write(buffer, 0, n);
            }
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    private static byte[] bytes(Storage storage, String key) throws IOException {
        try (InputStream in = storage.get(key)) {
            return in.readAllBytes();
        } catch (NoSuchObjectException e) {
            return null;
        }
    }

    private static Map<String, Long> listing(Storage storage) throws IOException {
        Map<String, Long> objects = new TreeMap<>();
        try (Stream<Storage.ObjectInfo> all = storage.list(ArchiveLayout.VERSION + "/")) {
            all.forEach(o -> objects.put(o.key(), o.size()));
        }
        return objects;
    }

    private static String dataKey(String sidecar) {
        return sidecar.substring(0, sidecar.length() - SegmentFiles.SIDECAR_SUFFIX.length());
    }
}
