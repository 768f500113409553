package io.rewind.opentsdb.hbase;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * Which rows a bulk load finds in the table, from one scan of their key range that may stop short: with the rows it
 * cannot tell about looked up one by one, the answer is the table's, whatever other rows lie between.
 */
class BulkLoadLookupTest {
    @Property(tries = 500)
    void aScanThatMayStopShortAndTheLookUpsAfterItTellWhichRowsTheTableHolds(
            @ForAll @Size(min = 1, max = 40) Set<@IntRange(min = 0, max = 300) Integer> asked,
            @ForAll @Size(max = 120) Set<@IntRange(min = 0, max = 300) Integer> table,
            @ForAll @IntRange(min = 1, max = 60) int limit) {
        List<byte[]> keys = new ArrayList<>();
        new TreeSet<>(asked).forEach(k -> keys.add(key(k)));
        int from = new TreeSet<>(asked).first();
        int to = new TreeSet<>(asked).last();
        // The scan: the table's rows within the asked range, in key order, at most limit of them.
        List<byte[]> scanned = new ArrayList<>();
        new TreeSet<>(table).stream().filter(k -> k >= from && k <= to).limit(limit).forEach(k -> scanned.add(key(k)));

        BulkLoad.Found found = BulkLoad.found(keys, scanned.iterator(), limit);
        boolean[] exists = found.exists().clone();
        for (int r = found.unknownFrom(); r < keys.size(); r++) {
            exists[r] = table.contains(value(keys.get(r))); // the look-ups one by one
        }
        for (int r = 0; r < keys.size(); r++) {
            assertThat(exists[r]).as("row " + value(keys.get(r))).isEqualTo(table.contains(value(keys.get(r))));
        }
        if (scanned.size() < limit) {
            assertThat(found.unknownFrom()).as("a scan that saw the whole range leaves nothing to look up").isEqualTo(keys.size());
        }
    }

    /** Keys whose unsigned order is the numbers' (a first byte over 127 included). */
    private static byte[] key(int k) {
        return new byte[] {(byte) (k >> 1), (byte) (k & 1)};
    }

    private static int value(byte[] key) {
        return ((key[0] & 0xff) << 1) | key[1];
    }
}
