package io.rewind.opentsdb.hbase;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.apache.hadoop.hbase.TableName;
import org.apache.hadoop.hbase.client.Connection;
import org.apache.hadoop.hbase.client.Get;
import org.apache.hadoop.hbase.client.Result;
import org.apache.hadoop.hbase.client.Table;

/**
 * The names of UIDs, read from the cluster's {@code tsdb-uid} table (row: the UID; family {@code name};
 * qualifier {@code metrics}, {@code tagk} or {@code tagv}) as OpenTSDB's {@code UniqueId} reads them
 * (ISO-8859-1), and kept: a table holds far fewer names than rows. Shared by the scanning threads. And the
 * other way, the UID of a name (row: the name; family {@code id}), for the metrics a baseline is limited to.
 */
public final class UidTable implements AutoCloseable {
    public static final byte[] NAME_FAMILY = "name".getBytes(StandardCharsets.ISO_8859_1);
    public static final byte[] ID_FAMILY = "id".getBytes(StandardCharsets.ISO_8859_1);

    public enum Kind {
        METRIC("metrics"), TAGK("tagk"), TAGV("tagv");

        final byte[] qualifier;

        Kind(String qualifier) {
            this.qualifier = qualifier.getBytes(StandardCharsets.ISO_8859_1);
        }

        public String label() {
            return new String(qualifier, StandardCharsets.ISO_8859_1);
        }
    }

    /** A UID the table has no name for. */
    public static final class UnknownUidException extends Exception {
        UnknownUidException(Kind kind, byte[] uid) {
            super(kind.label() + " UID " + HexFormat.of().formatHex(uid) + " has no name in the UID table");
        }
    }

    private final TableName table;
    private final ConcurrentHashMap<Long, String>[] names;
    private final ThreadLocal<Table> handles;
    private final Queue<Table> opened = new ConcurrentLinkedQueue<>();

    @SuppressWarnings("unchecked")
    public UidTable(Connection connection, String uidTable) {
        this.table = TableName.valueOf(uidTable);
        this.names = new ConcurrentHashMap[] {new ConcurrentHashMap<>(), new ConcurrentHashMap<>(), new ConcurrentHashMap<>()};
        this.handles = ThreadLocal.withInitial(() -> {
            try {
                Table handle = connection.getTable(table);
                opened.add(handle);
                return handle;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    public String name(Kind kind, byte[] uid) throws IOException, UnknownUidException {
        long key = 0;
        for (byte b : uid) {
            key = (key << 8) | (b & 0xFF);
        }
        String known = names[kind.ordinal()].get(key);
        if (known != null) {
            return known;
        }
        Result result = handles.get().get(new Get(uid).addColumn(NAME_FAMILY, kind.qualifier));
        byte[] name = result.getValue(NAME_FAMILY, kind.qualifier);
        if (name == null) {
            throw new UnknownUidException(kind, uid);
        }
        String text = new String(name, StandardCharsets.ISO_8859_1);
        names[kind.ordinal()].put(key, text);
        return text;
    }

    /** The UID of a name, or null when the cluster has none. */
    public byte[] uid(Kind kind, String name) throws IOException {
        Result result = handles.get().get(new Get(name.getBytes(StandardCharsets.ISO_8859_1)).addColumn(ID_FAMILY, kind.qualifier));
        return result.getValue(ID_FAMILY, kind.qualifier);
    }

    /**
     * The UID of every name of this kind (rows keyed by name, family {@code id}), the counter row OpenTSDB keeps at key
     * {@code \0} left out.
     */
    public java.util.List<byte[]> allUids(Kind kind) throws IOException {
        java.util.List<byte[]> uids = new java.util.ArrayList<>();
        try (org.apache.hadoop.hbase.client.ResultScanner rows = handles.get()
                .getScanner(new org.apache.hadoop.hbase.client.Scan().addColumn(ID_FAMILY, kind.qualifier))) {
            for (Result row : rows) {
                byte[] key = row.getRow();
                byte[] uid = row.getValue(ID_FAMILY, kind.qualifier);
                if (uid != null && !(key.length == 1 && key[0] == 0)) {
                    uids.add(uid);
                }
            }
        }
        return uids;
    }

    /** Closes the table handle of every thread that looked a name up. */
    @Override
    public void close() throws IOException {
        IOException failed = null;
        for (Table handle = opened.poll(); handle != null; handle = opened.poll()) {
            try {
                handle.close();
            } catch (IOException e) {
                failed = e;
            }
        }
        if (failed != null) {
            throw failed;
        }
    }
}
