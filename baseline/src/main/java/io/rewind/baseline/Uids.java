package io.rewind.baseline;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.hadoop.hbase.TableName;
import org.apache.hadoop.hbase.client.Connection;
import org.apache.hadoop.hbase.client.Get;
import org.apache.hadoop.hbase.client.Result;
import org.apache.hadoop.hbase.client.Table;

/**
 * The names of UIDs, read from the cluster's {@code tsdb-uid} table (row: the UID; family {@code name};
 * qualifier {@code metrics}, {@code tagk} or {@code tagv}) as OpenTSDB's {@code UniqueId} reads them
 * (ISO-8859-1), and kept: a table holds far fewer names than rows. Shared by the scanning threads.
 */
final class Uids {
    static final byte[] NAME_FAMILY = "name".getBytes(StandardCharsets.ISO_8859_1);

    enum Kind {
        METRIC("metrics"), TAGK("tagk"), TAGV("tagv");

        final byte[] qualifier;

        Kind(String qualifier) {
            this.qualifier = qualifier.getBytes(StandardCharsets.ISO_8859_1);
        }

        String label() {
            return new String(qualifier, StandardCharsets.ISO_8859_1);
        }
    }

    /** A UID the table has no name for. */
    static final class UnknownUidException extends Exception {
        UnknownUidException(Kind kind, byte[] uid) {
            super(kind.label() + " UID " + HexFormat.of().formatHex(uid) + " has no name in the UID table");
        }
    }

    private final Connection connection;
    private final TableName table;
    private final ConcurrentHashMap<Long, String>[] names;
    private final ThreadLocal<Table> handles;

    @SuppressWarnings("unchecked")
    Uids(Connection connection, String uidTable) {
        this.connection = connection;
        this.table = TableName.valueOf(uidTable);
        this.names = new ConcurrentHashMap[] {new ConcurrentHashMap<>(), new ConcurrentHashMap<>(), new ConcurrentHashMap<>()};
        this.handles = ThreadLocal.withInitial(() -> {
            try {
                return connection.getTable(table);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    String name(Kind kind, byte[] uid) throws IOException, UnknownUidException {
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

    int cached() {
        return names[0].size() + names[1].size() + names[2].size();
    }
}
