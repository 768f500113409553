package io.rewind.opentsdb.hbase;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Proxy;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.hadoop.hbase.client.Connection;
import org.apache.hadoop.hbase.client.Result;
import org.apache.hadoop.hbase.client.Table;
import org.junit.jupiter.api.Test;

class UidTableTest {
    @Test
    void theUidTableHandleEveryReaderThreadOpenedIsClosedWithTheLookups() throws Exception {
        List<AtomicInteger> closes = new CopyOnWriteArrayList<>();
        Connection connection = (Connection) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Connection.class},
                (proxy, method, args) -> {
                    if (!method.getName().equals("getTable")) {
                        throw new UnsupportedOperationException(method.getName());
                    }
                    AtomicInteger closed = new AtomicInteger();
                    closes.add(closed);
                    return Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Table.class}, (t, m, a) -> switch (m.getName()) {
                        case "get" -> Result.EMPTY_RESULT;
                        case "close" -> {
                            closed.incrementAndGet();
                            yield null;
                        }
                        default -> throw new UnsupportedOperationException(m.getName());
                    });
                });
        try (UidTable uids = new UidTable(connection, "tsdb-uid")) {
            Thread[] readers = new Thread[3];
            for (int i = 0; i < readers.length; i++) {
                readers[i] = new Thread(() -> {
                    try {
                        uids.uid(UidTable.Kind.METRIC, "sys.cpu");
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                });
                readers[i].start();
            }
            for (Thread reader : readers) {
                reader.join();
            }
            assertThat(closes).hasSize(3).allMatch(c -> c.get() == 0);
        }
        assertThat(closes).hasSize(3).allMatch(c -> c.get() == 1);
    }
}
