package io.rewind.opentsdb.hbase;

import io.rewind.hbasetools.launch.HBaseToolsProcess;
import io.rewind.hbasetools.launch.RowStream;
import io.rewind.opentsdb.RowDecoder;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * A snapshot's rows read from its HFiles in the HBase root directory, as HBase's own {@code TableSnapshotScanner} reads
 * them: the region servers serve nothing, so a full backup costs the live cluster its snapshot only. Each reading thread
 * gets a child JVM of HBase's tools ({@code HBaseTools snapshot-scan}) of its own, kept for the ranges it reads next;
 * the rows come back as {@link RowScan} gives them, so that one reader serves both.
 */
public final class SnapshotFiles implements AutoCloseable {
    private final List<String> arguments;
    private final Deque<Reader> idle = new ArrayDeque<>();
    private final List<Reader> all = new ArrayList<>();
    private boolean closed;

    /**
     * @param rootDir HBase's root directory ({@code hbase.rootdir}: hdfs://namenode/hbase, or file:///var/lib/hbase)
     * @param restoreDir a directory on the same filesystem, writable, where HBase lays out the snapshot's regions to read
     *     them (links, no data)
     * @param hbaseSettings Hadoop and HBase settings for the reader (a filesystem's client settings)
     */
    public SnapshotFiles(String snapshot, String rootDir, String restoreDir, Map<String, String> hbaseSettings) {
        List<String> args = new ArrayList<>(List.of("snapshot-scan", "--snapshot", snapshot, "--root", rootDir, "--restore-dir", restoreDir));
        hbaseSettings.forEach((k, v) -> {
            args.add("--set");
            args.add(k + "=" + v);
        });
        this.arguments = List.copyOf(args);
    }

    /** One child and its pipes. */
    private static final class Reader {
        final HBaseToolsProcess process;
        final Writer commands;
        final DataInputStream rows;

        Reader(HBaseToolsProcess process) {
            this.process = process;
            this.commands = new OutputStreamWriter(process.input(), StandardCharsets.UTF_8);
            this.rows = new DataInputStream(new BufferedInputStream(process.rawOutput(), 1 << 20));
        }
    }

    /** Reads every row of {@code range} in key order, from the snapshot's files. */
    public void scan(KeyRange range, RowScan.RowVisitor visitor) throws IOException, InterruptedException {
        Reader reader = borrow();
        boolean reusable = false;
        try {
            HexFormat hex = HexFormat.of();
            reader.commands.write("scan " + hex.formatHex(range.start()) + " " + hex.formatHex(range.stop()) + "\n");
            reader.commands.flush();
            List<RowDecoder.Cell> cells = new ArrayList<>();
            byte[][] key = {null};
            int[] left = {0};
            long[] bytes = {0};
            RowStream.read(reader.rows, new RowStream.Visitor() {
                @Override
                public void row(byte[] rowKey, int count) throws IOException, InterruptedException {
                    key[0] = rowKey;
                    left[0] = count;
                    bytes[0] = 0;
                    cells.clear();
                    if (count == 0) {
                        visitor.row(rowKey, cells, 0);
                    }
                }

                @Override
                public void cell(byte[] qualifier, byte[] value, long timestamp) throws IOException, InterruptedException {
                    cells.add(new RowDecoder.Cell(qualifier, value, timestamp));
                    bytes[0] += key[0].length + qualifier.length + value.length;
                    if (--left[0] == 0) {
                        if (Thread.interrupted()) {
                            throw new InterruptedException();
                        }
                        visitor.row(key[0], cells, bytes[0]);
                    }
                }
            });
            reusable = true;
        } catch (IOException e) {
            String errors = reader.process.errors();
            throw new IOException(e.getMessage() + (errors.isEmpty() ? "" : " (" + errors + ")"), e);
        } finally {
            giveBack(reader, reusable);
        }
    }

    private synchronized Reader borrow() throws IOException {
        if (closed) {
            throw new IOException("the snapshot's reader is closed");
        }
        Reader reader = idle.poll();
        if (reader == null) {
            reader = new Reader(HBaseToolsProcess.start(arguments));
            all.add(reader);
        }
        return reader;
    }

    /** A reader whose scan did not end cleanly (its stream is mid-way) is stopped, not reused. */
    private synchronized void giveBack(Reader reader, boolean reusable) {
        if (reusable && !closed) {
            idle.push(reader);
        } else {
            all.remove(reader);
            reader.process.close();
        }
    }

    /** Ends every child: their stdin closes, and they are stopped. */
    @Override
    public synchronized void close() {
        closed = true;
        for (Reader reader : all) {
            try {
                reader.commands.close();
            } catch (IOException e) {
                // already gone
            }
            reader.process.close();
        }
        all.clear();
        idle.clear();
    }
}
