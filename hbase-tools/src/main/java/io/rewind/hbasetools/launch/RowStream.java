package io.rewind.hbasetools.launch;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;

/**
 * How rows read from a snapshot's files travel back from {@code HBaseTools snapshot-scan}: each row as its key and its
 * cell count, then each cell's qualifier, value and timestamp, lengths first. A key length of -1 ends a scan; -2 says the
 * scan failed, and the message follows.
 */
public final class RowStream {
    private RowStream() {
    }

    /** Receives a row's key, then its cells. */
    public interface Visitor {
        void row(byte[] key, int cells) throws IOException, InterruptedException;

        void cell(byte[] qualifier, byte[] value, long timestamp) throws IOException, InterruptedException;
    }

    public static void writeRow(DataOutputStream out, byte[] key, int cells) throws IOException {
        out.writeInt(key.length);
        out.write(key);
        out.writeInt(cells);
    }

    public static void writeCell(DataOutputStream out, byte[] qualifier, byte[] value, long timestamp) throws IOException {
        out.writeInt(qualifier.length);
        out.write(qualifier);
        out.writeInt(value.length);
        out.write(value);
        out.writeLong(timestamp);
    }

    public static void end(DataOutputStream out) throws IOException {
        out.writeInt(-1);
        out.flush();
    }

    public static void fail(DataOutputStream out, String message) throws IOException {
        out.writeInt(-2);
        out.writeUTF(message.length() > 4000 ? message.substring(0, 4000) : message);
        out.flush();
    }

    /**
     * Reads one scan's rows up to its end mark.
     *
     * @throws IOException the scan's failure, or a stream cut off
     */
    public static void read(DataInputStream in, Visitor visitor) throws IOException, InterruptedException {
        while (true) {
            int keyLength;
            try {
                keyLength = in.readInt();
            } catch (EOFException e) {
                throw new EOFException("HBase's snapshot reader stopped in the middle of a scan");
            }
            if (keyLength == -1) {
                return;
            }
            if (keyLength == -2) {
                throw new IOException("HBase's snapshot reader failed: " + in.readUTF());
            }
            byte[] key = new byte[keyLength];
            in.readFully(key);
            int cells = in.readInt();
            visitor.row(key, cells);
            for (int i = 0; i < cells; i++) {
                byte[] qualifier = new byte[in.readInt()];
                in.readFully(qualifier);
                byte[] value = new byte[in.readInt()];
                in.readFully(value);
                visitor.cell(qualifier, value, in.readLong());
            }
        }
    }
}
