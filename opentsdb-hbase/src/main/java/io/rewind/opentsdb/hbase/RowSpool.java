package io.rewind.opentsdb.hbase;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.PriorityQueue;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Row changes in row-key order, however they came: held in memory up to a budget, then spilled to disk as sorted runs,
 * and read back merged (an external sort, as HBase's own bulk-load jobs sort in their shuffle). Changes of one row come
 * back together, in the order they were added, so that the later wins as it would have in row mode.
 */
final class RowSpool implements Closeable {
    private static final Comparator<Entry> ORDER = Comparator.<Entry, byte[]>comparing(e -> e.change.key, Arrays::compareUnsigned)
            .thenComparingLong(e -> e.seq);

    /** A change and the order it was added in. */
    record Entry(long seq, RowWriter.RowChange change) {
    }

    private final Path dir;
    private final long memoryBytes;
    private final List<Entry> memory = new ArrayList<>();
    private final List<Path> runs = new ArrayList<>();
    private final Map<String, Integer> labelIds = new ConcurrentHashMap<>();
    private final List<String> labels = new ArrayList<>();
    private long held;
    private long seq;
    private long rows;

    RowSpool(Path dir, long memoryBytes) throws IOException {
        this.dir = Files.createDirectories(dir);
        this.memoryBytes = memoryBytes;
        try (var stale = Files.newDirectoryStream(dir, "run-*")) { // a killed run's: this one spools everything again
            for (Path run : stale) {
                Files.delete(run);
            }
        }
    }

    synchronized void add(Collection<RowWriter.RowChange> changes) throws IOException {
        for (RowWriter.RowChange change : changes) {
            memory.add(new Entry(seq++, change));
            held += 160L + change.key.length + 19L * change.points.timestampMs.length;
            rows++;
        }
        if (held >= memoryBytes) {
            spill();
        }
    }

    /** Row changes added. */
    synchronized long rows() {
        return rows;
    }

    /** Runs spilled to disk so far. */
    synchronized int runs() {
        return runs.size();
    }

    private void spill() throws IOException {
        memory.sort(ORDER);
        Path run = dir.resolve(String.format("run-%05d", runs.size()));
        try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(run), 1 << 20))) {
            for (Entry entry : memory) {
                write(out, entry);
            }
        }
        runs.add(run);
        memory.clear();
        held = 0;
    }

    private void write(DataOutputStream out, Entry entry) throws IOException {
        RowWriter.RowChange change = entry.change;
        out.writeLong(entry.seq);
        out.writeInt(change.key.length);
        out.write(change.key);
        out.writeLong(change.baseSeconds);
        out.writeInt(labelIds.computeIfAbsent(change.label, label -> {
            labels.add(label);
            return labels.size() - 1;
        }));
        out.writeLong(change.replaceFromMs);
        out.writeLong(change.replaceToMs);
        RowMerge.RowPoints points = change.points;
        out.writeInt(points.size);
        for (int i = 0; i < points.size; i++) {
            out.writeLong(points.timestampMs[i]);
            out.writeByte((points.milliseconds[i] ? 1 : 0) | (points.floatingPoint[i] ? 2 : 0));
            out.writeByte(points.width[i]);
            out.writeLong(points.bits[i]);
        }
    }

    private Entry read(DataInputStream in) throws IOException {
        long order;
        try {
            order = in.readLong();
        } catch (EOFException e) {
            return null;
        }
        byte[] key = new byte[in.readInt()];
        in.readFully(key);
        long baseSeconds = in.readLong();
        String label = labels.get(in.readInt());
        RowWriter.RowChange change = new RowWriter.RowChange(key, baseSeconds, label);
        long from = in.readLong();
        long to = in.readLong();
        if (to > from) {
            change.replace(from, to);
        }
        int n = in.readInt();
        for (int i = 0; i < n; i++) {
            long ts = in.readLong();
            int flags = in.readByte();
            int width = in.readByte();
            change.add(ts, (flags & 1) != 0, (flags & 2) != 0, width, in.readLong());
        }
        return new Entry(order, change);
    }

    /**
     * Every row's changes, by row key, each row's in the order added. Called once, after the last add.
     */
    synchronized Iterator<List<RowWriter.RowChange>> rowsInOrder() throws IOException {
        memory.sort(ORDER);
        List<Iterator<Entry>> sources = new ArrayList<>();
        sources.add(memory.iterator());
        for (Path run : runs) {
            DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(run), 1 << 20));
            sources.add(new Iterator<>() {
                Entry next = read(in);

                @Override
                public boolean hasNext() {
                    return next != null;
                }

                @Override
                public Entry next() {
                    Entry current = next;
                    try {
                        next = read(in);
                        if (next == null) {
                            in.close();
                        }
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException("cannot read the spooled rows of " + run, e);
                    }
                    return current;
                }
            });
        }
        PriorityQueue<Head> heads = new PriorityQueue<>(Comparator.comparing(Head::entry, ORDER));
        for (Iterator<Entry> source : sources) {
            if (source.hasNext()) {
                heads.add(new Head(source.next(), source));
            }
        }
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return !heads.isEmpty();
            }

            @Override
            public List<RowWriter.RowChange> next() {
                if (heads.isEmpty()) {
                    throw new NoSuchElementException();
                }
                List<RowWriter.RowChange> row = new ArrayList<>(1);
                byte[] key = heads.peek().entry.change.key;
                while (!heads.isEmpty() && Arrays.equals(heads.peek().entry.change.key, key)) {
                    Head head = heads.poll();
                    row.add(head.entry.change);
                    if (head.source.hasNext()) {
                        heads.add(new Head(head.source.next(), head.source));
                    }
                }
                return row;
            }
        };
    }

    private record Head(Entry entry, Iterator<Entry> source) {
    }

    /** Deletes the runs. */
    @Override
    public synchronized void close() throws IOException {
        for (Path run : runs) {
            Files.deleteIfExists(run);
        }
        runs.clear();
        memory.clear();
    }
}
