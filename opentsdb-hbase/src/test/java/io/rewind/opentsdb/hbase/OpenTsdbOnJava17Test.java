package io.rewind.opentsdb.hbase;

import static org.assertj.core.api.Assertions.assertThat;

import net.opentsdb.uid.UniqueId;
import org.junit.jupiter.api.Test;

/**
 * OpenTSDB's own code as the restorer runs it on Java 17: its UniqueId writes a UID as hex with javax.xml.bind, which
 * Java 11 removed. Two restore threads assigning one new name race, and the loser's "Name already exists with UID ..."
 * is built with it; without the library that message threw NoClassDefFoundError, and the batch was lost.
 */
class OpenTsdbOnJava17Test {
    @Test
    void aUidIsWrittenAsHexAsOpenTsdbWritesIt() {
        assertThat(UniqueId.uidToString(new byte[] {0, 1, (byte) 0xAB})).isEqualTo("0001AB");
        assertThat(UniqueId.stringToUid("0001AB")).containsExactly(0, 1, 0xAB);
    }
}
