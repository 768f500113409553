package io.rewind.opentsdb.hbase;

import io.rewind.opentsdb.StorageLayout;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.hbase.HRegionLocation;
import org.apache.hadoop.hbase.RegionMetrics;
import org.apache.hadoop.hbase.ServerName;
import org.apache.hadoop.hbase.Size;
import org.apache.hadoop.hbase.TableName;
import org.apache.hadoop.hbase.client.Admin;
import org.apache.hadoop.hbase.client.Connection;
import org.apache.hadoop.hbase.client.RegionLocator;
import org.apache.hadoop.hbase.util.Bytes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A cluster's HBase, reached with the HBase client as its TSDs reach it (their ZooKeeper quorum and base
 * znode): the snapshot and its clone of the data table, and the regions to read.
 */
public final class HBaseCluster implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(HBaseCluster.class);

    private final StorageLayout layout;
    private final Connection connection;

    private HBaseCluster(StorageLayout layout, Connection connection) {
        this.layout = layout;
        this.connection = connection;
    }

    /** Connects; {@code settings} are HBase client settings given on the command line (they win). */
    public static HBaseCluster connect(StorageLayout layout, Map<String, String> settings) throws IOException {
        return new HBaseCluster(layout, HBaseTables.connect(layout, settings, layout.dataTable()));
    }

    public Connection connection() {
        return connection;
    }

    /** HBase's id of the cluster: what tells one cluster from another whatever their ZooKeeper quorums. */
    public String clusterId() {
        return connection.getClusterId();
    }

    public boolean snapshotExists(String snapshot) throws IOException {
        try (Admin admin = connection.getAdmin()) {
            return admin.listSnapshots().stream().anyMatch(s -> s.getName().equals(snapshot));
        }
    }

    public void snapshot(String snapshot) throws IOException {
        try (Admin admin = connection.getAdmin()) {
            admin.snapshot(snapshot, TableName.valueOf(layout.dataTable()));
        }
    }

    /** Clones the snapshot into a new table: HBase links the snapshot's files, it copies none. */
    public void cloneSnapshot(String snapshot, String clone) throws IOException {
        try (Admin admin = connection.getAdmin()) {
            admin.cloneSnapshot(snapshot, TableName.valueOf(clone));
        }
    }

    /** Removes a table this command made (its clone); quietly when it is gone. */
    public void dropTable(String table) {
        try (Admin admin = connection.getAdmin()) {
            TableName name = TableName.valueOf(table);
            if (admin.tableExists(name)) {
                if (admin.isTableEnabled(name)) {
                    admin.disableTable(name);
                }
                admin.deleteTable(name);
            }
        } catch (IOException e) {
            log.warn("Could not remove the table {} this baseline cloned; remove it with the HBase shell: disable '{}'; drop '{}' ({})",
                    table, table, table, e.toString());
        }
    }

    public void deleteSnapshot(String snapshot) {
        try (Admin admin = connection.getAdmin()) {
            admin.deleteSnapshot(snapshot);
        } catch (IOException e) {
            log.warn("Could not delete the snapshot {}; delete it with the HBase shell: delete_snapshot '{}' ({})", snapshot, snapshot,
                    e.toString());
        }
    }

    /** A region of a table and the bytes of its store files. */
    public record Region(KeyRange range, long bytes) {
    }

    /** The table's regions in key order, with their store file sizes where the servers report them. */
    public List<Region> regions(String table) throws IOException {
        TableName name = TableName.valueOf(table);
        Map<String, Long> sizes = new HashMap<>();
        List<HRegionLocation> locations;
        try (RegionLocator locator = connection.getRegionLocator(name); Admin admin = connection.getAdmin()) {
            locations = locator.getAllRegionLocations();
            for (ServerName server : locations.stream().map(HRegionLocation::getServerName).distinct().toList()) {
                try {
                    for (RegionMetrics metrics : admin.getRegionMetrics(server, name)) {
                        sizes.put(Bytes.toStringBinary(metrics.getRegionName()), (long) metrics.getStoreFileSize().get(Size.Unit.BYTE));
                    }
                } catch (IOException e) {
                    log.debug("No region sizes from {}: {}", server, e.toString());
                }
            }
        }
        List<Region> regions = new ArrayList<>();
        for (HRegionLocation location : locations) {
            regions.add(new Region(new KeyRange(location.getRegion().getStartKey(), location.getRegion().getEndKey()),
                    sizes.getOrDefault(Bytes.toStringBinary(location.getRegion().getRegionName()), 0L)));
        }
        regions.sort((a, b) -> java.util.Arrays.compareUnsigned(a.range().start(), b.range().start()));
        return regions;
    }

    @Override
    public void close() throws IOException {
        connection.close();
    }
}
