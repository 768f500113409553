package io.rewind.restore.plan;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The finished work of one restore, in an append-only text file, so that rerunning the same command
 * continues where an interrupted run stopped. The work of a unit is its stream of batches, numbered
 * in the order the deterministic selection produces them; the checkpoint records, per unit, how many
 * leading batches the target has acknowledged, and when the unit is complete. A rerun skips those
 * batches; at most the batches that were in flight when the run stopped are written again.
 *
 * <pre>
 * rewind-restore-checkpoint 1
 * restore &lt;fingerprint of the command's arguments: selection, transforms, targets, batch size&gt;
 * now &lt;epoch ms the first run resolved relative times (-2h, now) against&gt;
 * acked &lt;unit&gt; &lt;batches&gt; &lt;points&gt;
 * done &lt;unit&gt; &lt;batches&gt; &lt;points&gt;
 * </pre>
 * Later lines win. A line cut short by a crash is ignored.
 */
public final class Checkpoint implements AutoCloseable {
    private static final String MAGIC = "rewind-restore-checkpoint 1";

    private final Path file;
    private final Map<String, UnitState> units = new HashMap<>();
    private final BufferedWriter out;
    private final FileChannel channel;
    private long startedMs;
    private boolean continuing;

    /** What is known of one unit. */
    private static final class UnitState {
        int ackedBatches;
        long ackedPoints;
        boolean done;
        int totalBatches = -1;
        final TreeSet<Integer> ackedAhead = new TreeSet<>();
        final Map<Integer, Integer> pointsAhead = new HashMap<>();
    }

    private Checkpoint(Path file, FileChannel channel) {
        this.file = file;
        this.channel = channel;
        this.out = new BufferedWriter(new java.io.OutputStreamWriter(java.nio.channels.Channels.newOutputStream(channel), StandardCharsets.UTF_8));
    }

    /**
     * Opens the checkpoint of a restore, continuing it when the file holds the same restore.
     *
     * @throws IllegalStateException when the file holds a different restore
     */
    public static Checkpoint open(Path file, String fingerprint, boolean fresh) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        boolean continuing = !fresh && Files.exists(file) && Files.size(file) > 0;
        Map<String, UnitState> known = new HashMap<>();
        long startedMs = System.currentTimeMillis();
        if (continuing) {
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            if (lines.size() < 3 || !lines.get(0).equals(MAGIC) || !lines.get(1).startsWith("restore ")
                    || !lines.get(2).matches("now \\d+")) {
                throw new IllegalStateException(file + " is not a Rewind restore checkpoint; pass another --checkpoint, or --fresh to overwrite it");
            }
            if (!lines.get(1).equals("restore " + fingerprint)) {
                throw new IllegalStateException(file + " holds the checkpoint of a different restore (other selection, transforms,"
                        + " targets or batch size); pass another --checkpoint, or --fresh to start this one over");
            }
            startedMs = Long.parseLong(lines.get(2).substring(4));
            for (String line : lines.subList(3, lines.size())) {
                String[] f = line.split(" ");
                if (f.length != 4 || !(f[0].equals("acked") || f[0].equals("done"))) {
                    continue;
                }
                UnitState p = known.computeIfAbsent(f[1], k -> new UnitState());
                try {
                    p.ackedBatches = Integer.parseInt(f[2]);
                    p.ackedPoints = Long.parseLong(f[3]);
                    p.done |= f[0].equals("done");
                } catch (NumberFormatException torn) {
                    // the last line of a run that was killed while writing it
                }
            }
        }
        FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                continuing ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING);
        Checkpoint checkpoint = new Checkpoint(file, channel);
        checkpoint.units.putAll(known);
        checkpoint.startedMs = startedMs;
        checkpoint.continuing = continuing;
        if (!continuing) {
            checkpoint.append(MAGIC);
            checkpoint.append("restore " + fingerprint);
            checkpoint.append("now " + startedMs);
        } else {
            checkpoint.append("");
        }
        return checkpoint;
    }

    /**
     * When the restore of this checkpoint file first ran, whatever restore it holds: what a follower continuing after it
     * resolves its relative times against. Empty without a readable checkpoint.
     */
    public static java.util.Optional<Long> startedAt(Path file) {
        try {
            if (!Files.isRegularFile(file)) {
                return java.util.Optional.empty();
            }
            List<String> lines;
            try (var reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                lines = reader.lines().limit(3).toList();
            }
            return lines.size() == 3 && lines.get(0).equals(MAGIC) && lines.get(2).matches("now \\d+")
                    ? java.util.Optional.of(Long.parseLong(lines.get(2).substring(4))) : java.util.Optional.empty();
        } catch (IOException | java.io.UncheckedIOException e) {
            return java.util.Optional.empty();
        }
    }

    public Path file() {
        return file;
    }

    /** When the restore first ran: what its relative times mean in every run that continues it. */
    public long startedMs() {
        return startedMs;
    }

    /** Whether this run continues an earlier one. */
    public boolean continuing() {
        return continuing;
    }

    public synchronized boolean isDone(String unit) {
        UnitState p = units.get(unit);
        return p != null && p.done;
    }

    /** How many leading batches of the unit the target has acknowledged. */
    public synchronized int ackedBatches(String unit) {
        UnitState p = units.get(unit);
        return p == null ? 0 : p.ackedBatches;
    }

    /** Points of the unit acknowledged in earlier runs and this one, counted once each. */
    public synchronized long ackedPoints(String unit) {
        UnitState p = units.get(unit);
        return p == null ? 0 : p.ackedPoints;
    }

    /** Points acknowledged over every unit, counted once each however many runs it took. */
    public synchronized long totalAckedPoints() {
        return units.values().stream().mapToLong(p -> p.ackedPoints).sum();
    }

    /** The target acknowledged batch {@code seq} of the unit, holding {@code points} points. */
    public synchronized void acked(String unit, int seq, int points) throws IOException {
        UnitState p = units.computeIfAbsent(unit, k -> new UnitState());
        if (seq < p.ackedBatches) {
            return;
        }
        p.ackedAhead.add(seq);
        p.pointsAhead.put(seq, points);
        int before = p.ackedBatches;
        while (!p.ackedAhead.isEmpty() && p.ackedAhead.first() == p.ackedBatches) {
            p.ackedAhead.pollFirst();
            p.ackedPoints += p.pointsAhead.remove(p.ackedBatches);
            p.ackedBatches++;
        }
        if (p.ackedBatches != before) {
            record(unit, p);
        }
    }

    /** The reader has produced every batch of the unit. */
    public synchronized void allBatchesProduced(String unit, int totalBatches) throws IOException {
        UnitState p = units.computeIfAbsent(unit, k -> new UnitState());
        p.totalBatches = totalBatches;
        record(unit, p);
    }

    private void record(String unit, UnitState p) throws IOException {
        if (!p.done && p.totalBatches >= 0 && p.ackedBatches >= p.totalBatches) {
            p.done = true;
            append("done " + unit + " " + p.ackedBatches + " " + p.ackedPoints);
        } else if (!p.done) {
            append("acked " + unit + " " + p.ackedBatches + " " + p.ackedPoints);
        }
    }

    /**
     * Written and flushed to the operating system, which keeps it when the process is killed; forced to
     * disk at close. A machine crash can lose the last lines: those batches are then written again.
     */
    private void append(String line) throws IOException {
        if (!line.isEmpty()) {
            out.write(line);
        }
        out.write('\n');
        out.flush();
    }

    @Override
    public synchronized void close() throws IOException {
        out.flush();
        channel.force(true);
        out.close();
    }
}
