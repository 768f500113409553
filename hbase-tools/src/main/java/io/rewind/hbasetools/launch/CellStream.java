package io.rewind.hbasetools.launch;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;

/**
 * How cells travel to the HFile writer ({@code HBaseTools write}): each as its row, qualifier and value, each with its
 * length before it; a row length of -1 ends the stream, so that a writer cut off midway is told apart from one that
 * finished. The cells of one family, sorted by row; one cell per row.
 */
public final class CellStream {
    private CellStream() {
    }

    /** One cell. */
    public record Cell(byte[] row, byte[] qualifier, byte[] value) {
    }

    public static void write(DataOutputStream out, byte[] row, byte[] qualifier, byte[] value) throws IOException {
        out.writeInt(row.length);
        out.write(row);
        out.writeInt(qualifier.length);
        out.write(qualifier);
        out.writeInt(value.length);
        out.write(value);
    }

    public static void end(DataOutputStream out) throws IOException {
        out.writeInt(-1);
        out.flush();
    }

    /** A new digest of a file's rows (SHA-256), which {@link #digestRow} adds each row's key to. */
    public static java.security.MessageDigest rowsDigest() {
        try {
            return java.security.MessageDigest.getInstance("SHA-256");
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The index of the region a row belongs to: the one whose start key is the greatest at or before the row, in
     * HBase's unsigned order; {@code starts} sorted, the first empty.
     */
    public static int regionOf(byte[][] starts, byte[] row) {
        int low = 0;
        int high = starts.length - 1;
        while (low < high) {
            int mid = (low + high + 1) >>> 1;
            if (java.util.Arrays.compareUnsigned(starts[mid], row) <= 0) {
                low = mid;
            } else {
                high = mid - 1;
            }
        }
        return low;
    }

    /** Adds a row's key to a digest of a file's rows, its length first: the same on both sides of the stream. */
    public static void digestRow(java.security.MessageDigest digest, byte[] row) {
        digest.update((byte) (row.length >>> 24));
        digest.update((byte) (row.length >>> 16));
        digest.update((byte) (row.length >>> 8));
        digest.update((byte) row.length);
        digest.update(row);
    }

    /** The next cell, or null at the end. */
    public static Cell read(DataInputStream in) throws IOException {
        int rowLength;
        try {
            rowLength = in.readInt();
        } catch (EOFException e) {
            throw new EOFException("the cell stream ended without its end mark: the restore that sent it stopped");
        }
        if (rowLength < 0) {
            return null;
        }
        return new Cell(bytes(in, rowLength), bytes(in, in.readInt()), bytes(in, in.readInt()));
    }

    private static byte[] bytes(DataInputStream in, int length) throws IOException {
        byte[] bytes = new byte[length];
        in.readFully(bytes);
        return bytes;
    }
}
