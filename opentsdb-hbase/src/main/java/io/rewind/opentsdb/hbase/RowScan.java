package io.rewind.opentsdb.hbase;

import io.rewind.opentsdb.RowDecoder;
import io.rewind.opentsdb.StorageLayout;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.hbase.Cell;
import org.apache.hadoop.hbase.CellUtil;
import org.apache.hadoop.hbase.TableName;
import org.apache.hadoop.hbase.client.Connection;
import org.apache.hadoop.hbase.client.Result;
import org.apache.hadoop.hbase.client.ResultScanner;
import org.apache.hadoop.hbase.client.Scan;
import org.apache.hadoop.hbase.client.Table;

/**
 * A key range of a data table read row by row, as a bulk reader should: the newest version of each cell only, 1,024 rows
 * a round trip fetched ahead, and the region servers' block cache left to the TSDs' reads.
 */
public final class RowScan {
    /** Receives each row: its key, its cells (the list is reused for the next row) and its bytes read. */
    @FunctionalInterface
    public interface RowVisitor {
        void row(byte[] key, List<RowDecoder.Cell> cells, long bytes) throws IOException, InterruptedException;
    }

    private RowScan() {
    }

    /**
     * Reads every row of {@code range} in key order.
     *
     * @throws InterruptedException when the reading thread is interrupted between two rows
     */
    public static void scan(Connection connection, String table, KeyRange range, RowVisitor visitor) throws IOException, InterruptedException {
        Scan scan = new Scan().withStartRow(range.start()).withStopRow(range.stop()).addFamily(StorageLayout.dataFamily()).setCaching(1024)
                .setCacheBlocks(false).readVersions(1).setAsyncPrefetch(true);
        List<RowDecoder.Cell> cells = new ArrayList<>();
        try (Table data = connection.getTable(TableName.valueOf(table)); ResultScanner scanner = data.getScanner(scan)) {
            for (Result result = scanner.next(); result != null; result = scanner.next()) {
                if (Thread.interrupted()) {
                    throw new InterruptedException();
                }
                byte[] key = result.getRow();
                long bytes = 0;
                cells.clear();
                for (Cell cell : result.rawCells()) {
                    cells.add(new RowDecoder.Cell(CellUtil.cloneQualifier(cell), CellUtil.cloneValue(cell), cell.getTimestamp()));
                    bytes += key.length + cell.getQualifierLength() + cell.getValueLength();
                }
                visitor.row(key, cells, bytes);
            }
        }
    }
}
