package io.rewind.devstack.hbase;

import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.hbase.HBaseConfiguration;
import org.apache.hadoop.hbase.TableName;
import org.apache.hadoop.hbase.client.Admin;
import org.apache.hadoop.hbase.client.ColumnFamilyDescriptorBuilder;
import org.apache.hadoop.hbase.client.Connection;
import org.apache.hadoop.hbase.client.ConnectionFactory;
import org.apache.hadoop.hbase.client.TableDescriptorBuilder;

/**
 * Creates OpenTSDB's four tables for each given table-name prefix, the way OpenTSDB's create_table.sh
 * does, and each table of data points named {@code data:<name>} (rollups), through the HBase Admin API.
 * Tables that exist are left alone. Runs in its own JVM with HBase's classpath:
 * {@code CreateTsdTables <zkQuorum> <zkPort> (<prefix> | data:<table>)...}.
 */
public final class CreateTsdTables {
    /** OpenTSDB's tables and their column families. */
    static final Map<String, List<String>> TABLES = Map.of(
            "tsdb", List.of("t"),
            "tsdb-uid", List.of("id", "name"),
            "tsdb-tree", List.of("t"),
            "tsdb-meta", List.of("name"));

    /** An argument naming one more table of data points (a rollup or pre-aggregate table): {@code data:<name>}. */
    static final String DATA_TABLE = "data:";

    private CreateTsdTables() {
    }

    private static void create(Admin admin, String table, List<String> families) throws java.io.IOException {
        TableName name = TableName.valueOf(table);
        if (admin.tableExists(name)) {
            return;
        }
        TableDescriptorBuilder descriptor = TableDescriptorBuilder.newBuilder(name);
        for (String family : families) {
            descriptor.setColumnFamily(ColumnFamilyDescriptorBuilder.of(family));
        }
        admin.createTable(descriptor.build());
        System.out.println("created " + name);
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 3) {
            System.err.println("usage: CreateTsdTables <zkQuorum> <zkPort> <tablePrefix>...");
            System.exit(2);
        }
        Configuration conf = HBaseConfiguration.create();
        conf.set("hbase.zookeeper.quorum", args[0]);
        conf.set("hbase.zookeeper.property.clientPort", args[1]);
        conf.setInt("hbase.client.retries.number", 30);
        try (Connection connection = ConnectionFactory.createConnection(conf); Admin admin = connection.getAdmin()) {
            for (int i = 2; i < args.length; i++) {
                if (args[i].startsWith(DATA_TABLE)) {
                    create(admin, args[i].substring(DATA_TABLE.length()), List.of("t"));
                    continue;
                }
                for (Map.Entry<String, List<String>> table : TABLES.entrySet()) {
                    create(admin, args[i] + table.getKey(), table.getValue());
                }
            }
        }
    }
}
