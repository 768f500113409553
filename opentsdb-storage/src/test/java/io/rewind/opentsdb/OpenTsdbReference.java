package io.rewind.opentsdb;

import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;
import net.opentsdb.core.AppendDataPoints;
import net.opentsdb.core.DataPoint;
import net.opentsdb.core.DataPoints;
import net.opentsdb.core.SeekableView;
import net.opentsdb.core.Internal;
import net.opentsdb.core.TSDB;
import net.opentsdb.utils.Config;
import org.hbase.async.Bytes;
import org.hbase.async.KeyValue;

/**
 * OpenTSDB 2.4.1's own code, the reference the codec is held to: cells built as {@code TSDB.addPoint}
 * builds them, rows merged by its compaction ({@code CompactionQueue}, with {@code fix_duplicates} on so
 * that the latest cell wins), and points read back by {@code Internal.extractDataPoints}. The TSDB made here
 * never reaches HBase: compactions are off, so a compacted row is returned and never written.
 */
final class OpenTsdbReference implements AutoCloseable {
    static final byte[] FAMILY = {'t'};
    private final TSDB tsdb;
    private final Method compact;
    private final Constructor<?> rowSeq;
    private final Method setRow;

    OpenTsdbReference() throws Exception {
        Config config = new Config(false);
        config.overrideConfig("tsd.storage.enable_compaction", "false");
        config.overrideConfig("tsd.storage.fix_duplicates", "true");
        config.overrideConfig("tsd.storage.hbase.zk_quorum", "127.0.0.1:1");
        tsdb = new TSDB(config);
        compact = TSDB.class.getDeclaredMethod("compact", ArrayList.class, List.class, List.class);
        compact.setAccessible(true);
        Class<?> rowSeqClass = Class.forName("net.opentsdb.core.RowSeq");
        rowSeq = rowSeqClass.getDeclaredConstructor(TSDB.class);
        rowSeq.setAccessible(true);
        setRow = rowSeqClass.getDeclaredMethod("setRow", KeyValue.class);
        setRow.setAccessible(true);
    }

    TSDB tsdb() {
        return tsdb;
    }

    /** A point as {@code TSDB.addPoint(metric, timestamp, value, tags)} stores it: its qualifier and value bytes. */
    record Written(byte[] qualifier, byte[] value) {
    }

    /** {@code addPoint(long)}: the smallest of 1, 2, 4 or 8 bytes that holds the value. */
    static Written integer(long timestamp, long value) {
        byte[] v;
        if (Byte.MIN_VALUE <= value && value <= Byte.MAX_VALUE) {
            v = new byte[] {(byte) value};
        } else if (Short.MIN_VALUE <= value && value <= Short.MAX_VALUE) {
            v = Bytes.fromShort((short) value);
        } else if (Integer.MIN_VALUE <= value && value <= Integer.MAX_VALUE) {
            v = Bytes.fromInt((int) value);
        } else {
            v = Bytes.fromLong(value);
        }
        return new Written(Internal.buildQualifier(timestamp, (short) (v.length - 1)), v);
    }

    /** {@code addPoint(float)}: 4 bytes, flagged float. */
    static Written float4(long timestamp, float value) {
        return new Written(Internal.buildQualifier(timestamp, (short) (0x8 | 0x3)), Bytes.fromInt(Float.floatToRawIntBits(value)));
    }

    /** {@code addPoint(double)}: 8 bytes, flagged float. */
    static Written float8(long timestamp, double value) {
        return new Written(Internal.buildQualifier(timestamp, (short) (0x8 | 0x7)), Bytes.fromLong(Double.doubleToRawLongBits(value)));
    }

    /** The append cell's value holding these points, as a TSD with {@code enable_appends} appends them one by one. */
    static byte[] appended(List<Written> points) {
        byte[] all = new byte[0];
        for (Written w : points) {
            all = concat(all, new AppendDataPoints(w.qualifier(), w.value()).getBytes());
        }
        return all;
    }

    /** OpenTSDB's compaction of a row: the one cell a TSD writes back (null when the row holds no point). */
    KeyValue compact(List<KeyValue> row) throws Exception {
        return (KeyValue) compact.invoke(tsdb, new ArrayList<>(row), new ArrayList<>(), new ArrayList<>());
    }

    /** A point as OpenTSDB reads it back. */
    record Read(long timestampMs, boolean milliseconds, boolean floatingPoint, double doubleValue, long longValue) {
    }

    /**
     * The points of a row as a TSD's query reads them: compacted in memory with its compaction, then read by
     * {@code RowSeq}, the class behind every query's spans. (Not {@code Internal.extractDataPoints}: it takes any cell
     * whose qualifier starts with {@code 05}, a compacted one among them, for an append.)
     */
    List<Read> read(byte[] key, List<KeyValue> row, long baseTimeSeconds) throws Exception {
        KeyValue compacted = compact(row);
        List<Read> out = new ArrayList<>();
        if (compacted == null) {
            return out;
        }
        DataPoints seq = (DataPoints) rowSeq.newInstance(tsdb);
        setRow.invoke(seq, compacted);
        byte[] q = compacted.qualifier();
        int at = 0;
        for (SeekableView points = seq.iterator(); points.hasNext(); ) {
            DataPoint point = points.next();
            boolean ms = Internal.inMilliseconds(q[at]);
            at += ms ? 4 : 2;
            boolean integer = point.isInteger();
            double value = integer ? point.longValue() : point.doubleValue();
            out.add(new Read(point.timestamp(), ms, !integer, value, integer ? point.longValue() : (long) value));
        }
        return out;
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] out = new byte[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    @Override
    public void close() throws Exception {
        tsdb.shutdown().join(10_000);
    }
}
