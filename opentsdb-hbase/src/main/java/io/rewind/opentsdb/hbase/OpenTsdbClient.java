package io.rewind.opentsdb.hbase;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import net.opentsdb.core.TSDB;
import net.opentsdb.utils.Config;

/**
 * OpenTSDB's own storage code ({@code net.opentsdb.core.TSDB}) connected to a cluster's tables as its TSDs connect,
 * configured by the cluster's {@code opentsdb.conf}: what writes points and assigns UIDs exactly as a TSD would.
 */
public final class OpenTsdbClient {
    private OpenTsdbClient() {
    }

    /** Refuses a configuration file that cannot be read, naming it. */
    public static void requireReadable(Path config) {
        if (!Files.isReadable(config)) {
            throw new IllegalArgumentException("cannot read the OpenTSDB configuration " + config + " (--storage-config)");
        }
    }

    /** OpenTSDB's storage code, configured by the cluster's configuration, once its tables are found. */
    public static TSDB connect(Path config, Duration timeout) throws IOException {
        requireReadable(config);
        TSDB tsdb = new TSDB(new Config(config.toString()));
        try {
            tsdb.checkNecessaryTablesExist().join(timeout.toMillis());
        } catch (Exception e) {
            shutdown(tsdb, timeout);
            throw new IOException("the tables of " + config + " cannot be reached (ZooKeeper "
                    + tsdb.getConfig().getString("tsd.storage.hbase.zk_quorum") + "): " + describe(e), e);
        }
        return tsdb;
    }

    /** Flushes what is buffered and compacts what the configuration compacts, as a TSD does when it stops. */
    public static void shutdown(TSDB tsdb, Duration timeout) throws IOException {
        try {
            tsdb.shutdown().join(Math.max(timeout.toMillis(), Duration.ofMinutes(10).toMillis()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while closing the connection to HBase", e);
        } catch (Exception e) {
            throw new IOException("closing the connection to HBase: " + describe(e), e);
        }
    }

    /** The error inside OpenTSDB's deferred groups. */
    public static Throwable unwrap(Throwable e) {
        Throwable t = e;
        while (t instanceof com.stumbleupon.async.DeferredGroupException && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    /** The error's message, or its kind when it has none. */
    public static String describe(Throwable e) {
        Throwable t = unwrap(e);
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    }
}
