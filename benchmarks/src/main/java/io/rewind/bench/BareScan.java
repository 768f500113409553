package io.rewind.bench;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.hbase.Cell;
import org.apache.hadoop.hbase.HBaseConfiguration;
import org.apache.hadoop.hbase.TableName;
import org.apache.hadoop.hbase.client.Connection;
import org.apache.hadoop.hbase.client.ConnectionFactory;
import org.apache.hadoop.hbase.client.Result;
import org.apache.hadoop.hbase.client.ResultScanner;
import org.apache.hadoop.hbase.client.Scan;
import org.apache.hadoop.hbase.client.Table;

/**
 * {@code BareScan <zkQuorum> <table>}: the floor of any reader of a table, for the baseline benchmark: every cell of
 * the table fetched with the HBase client (the scan settings the baseline uses), counted, nothing decoded.
 */
public final class BareScan {
    private BareScan() {
    }

    /** Writes the table's memstores to store files. */
    static void flush(String zkQuorum, String table) throws java.io.IOException {
        Configuration conf = HBaseConfiguration.create();
        conf.set("hbase.zookeeper.quorum", zkQuorum);
        try (Connection connection = ConnectionFactory.createConnection(conf); org.apache.hadoop.hbase.client.Admin admin = connection.getAdmin()) {
            admin.flush(TableName.valueOf(table));
        }
    }

    public static void main(String[] args) throws Exception {
        Configuration conf = HBaseConfiguration.create();
        conf.set("hbase.zookeeper.quorum", args[0]);
        long rows = 0;
        long cells = 0;
        long bytes = 0;
        try (Connection connection = ConnectionFactory.createConnection(conf);
                Table table = connection.getTable(TableName.valueOf(args[1]));
                ResultScanner scanner = table.getScanner(new Scan().addFamily(io.rewind.opentsdb.StorageLayout.dataFamily()).setCaching(1024).setCacheBlocks(false)
                        .readVersions(1).setAsyncPrefetch(true))) {
            for (Result result = scanner.next(); result != null; result = scanner.next()) {
                rows++;
                for (Cell cell : result.rawCells()) {
                    cells++;
                    bytes += cell.getRowLength() + cell.getQualifierLength() + cell.getValueLength();
                }
            }
        }
        System.out.printf("rows=%d cells=%d bytes=%d%n", rows, cells, bytes);
    }
}
