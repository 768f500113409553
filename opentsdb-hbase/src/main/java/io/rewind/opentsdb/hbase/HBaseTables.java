package io.rewind.opentsdb.hbase;

import io.rewind.opentsdb.StorageLayout;
import java.io.IOException;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.hbase.HBaseConfiguration;
import org.apache.hadoop.hbase.TableName;
import org.apache.hadoop.hbase.client.Admin;
import org.apache.hadoop.hbase.client.Connection;
import org.apache.hadoop.hbase.client.ConnectionFactory;

/** A cluster's HBase, reached with the HBase client as its TSDs reach it: their ZooKeeper quorum and base znode. */
public final class HBaseTables {
    private HBaseTables() {
    }

    /** The HBase client settings of a connection to the cluster: its TSDs' ZooKeeper quorum and base znode, then the settings given. */
    public static Map<String, String> clientSettings(StorageLayout layout, Map<String, String> settings) {
        Map<String, String> all = new java.util.LinkedHashMap<>();
        all.put("hbase.zookeeper.quorum", layout.zkQuorum());
        all.put("zookeeper.znode.parent", layout.zkBaseDir());
        all.put("hbase.client.retries.number", "10");
        all.put("zookeeper.recovery.retry", "3");
        all.putAll(settings);
        return all;
    }

    /**
     * Connects and checks that the tables exist.
     *
     * @param settings HBase client settings given on the command line (they win)
     * @throws IOException naming the first missing table, or why HBase cannot be reached
     */
    public static Connection connect(StorageLayout layout, Map<String, String> settings, String... tables) throws IOException {
        Configuration conf = HBaseConfiguration.create();
        clientSettings(layout, settings).forEach(conf::set);
        Connection connection = ConnectionFactory.createConnection(conf);
        try (Admin admin = connection.getAdmin()) {
            for (String table : tables) {
                if (!admin.tableExists(TableName.valueOf(table))) {
                    throw new IOException("HBase at " + layout.zkQuorum() + " has no table '" + table + "'");
                }
            }
        } catch (IOException e) {
            connection.close();
            throw e;
        }
        return connection;
    }
}
