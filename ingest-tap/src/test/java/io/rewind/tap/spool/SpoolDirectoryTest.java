package io.rewind.tap.spool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.rewind.service.config.ConfigException;
import io.rewind.tap.config.TapConfig;
import io.rewind.tap.delivery.DeliverySettings;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The spool holds what clients were told is safe: it must outlive a reboot, and a Kafka outage must never hold back production. */
class SpoolDirectoryTest {
    @TempDir
    Path dir;

    @Test
    void aSpoolOnATmpfsIsRefusedUnlessAllowedAndOnADiskIsTaken() throws Exception {
        Path shm = Path.of("/dev/shm");
        Assumptions.assumeTrue(shm.toFile().isDirectory() && SpoolDirectory.filesystem(shm).equals("tmpfs"),
                "no tmpfs at /dev/shm on this machine: the refusal was not tried");
        Path spool = shm.resolve("rewind-test-" + ProcessHandle.current().pid()).resolve("spool"); // not created: its ancestor decides
        assertThatThrownBy(() -> SpoolDirectory.refuseVolatile(spool, false)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("is on a tmpfs").hasMessageContaining("spool.allow.tmpfs=true");
        SpoolDirectory.refuseVolatile(spool, true);
        Assumptions.assumeFalse(SpoolDirectory.filesystem(dir).equals("tmpfs"), "the temporary directory is itself a tmpfs");
        SpoolDirectory.refuseVolatile(dir.resolve("spool"), false);
    }

    @Test
    void byDefaultTheTapPassesPointsThroughWhenTheSpoolIsFullAndKeepsItsSpoolWhereAReloginFindsIt() {
        TapConfig config = TapConfig.of(Map.of("bootstrap.servers", "kafka:9092"));
        assertThat(config.spoolFullPolicy()).isEqualTo(DeliverySettings.FullPolicy.PASS_THROUGH);
        assertThat(config.spoolDir().toString()).doesNotStartWith(System.getProperty("java.io.tmpdir"))
                .startsWith(System.getProperty("user.home"));
        assertThat(config.spoolAllowTmpfs()).isFalse();
        assertThat(config.gapsTopic()).isEqualTo("points-gaps");
        assertThat(TapConfig.of(Map.of("bootstrap.servers", "kafka:9092", "topic", "prod", "spool.full.policy", "block")).gapsTopic())
                .isEqualTo("prod-gaps");
    }
}
