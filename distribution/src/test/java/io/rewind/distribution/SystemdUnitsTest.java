package io.rewind.distribution;

import static org.assertj.core.api.Assertions.assertThat;

import io.rewind.devstack.junit.Programs;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The systemd units the distribution ships for the tap and the archiver: they start the component with the example
 * configuration's file, give it the time it needs to drain when stopped, keep its directory (the tap's spool) across
 * reboots and writable under the hardening, and systemd itself accepts them ({@code systemd-analyze verify}, where it is
 * installed; reported as skipped, not passed, where it is not).
 */
class SystemdUnitsTest {
    private static final Path REPO = Path.of(System.getProperty("user.dir")).toAbsolutePath().getParent();
    private static final Path UNITS = REPO.resolve("distribution/src/main/systemd");
    /** Where the units expect the distribution: ExecStart's launcher. */
    private static final String INSTALLED_LAUNCHER = "/opt/rewind/bin/rewind";

    @TempDir
    Path dir;

    /** A component's unit and what it must hold. */
    private record Component(String name, String configKey, int minStopSeconds) {
        Path unit() {
            return UNITS.resolve("rewind-" + name + ".service");
        }
    }

    private static final List<Component> COMPONENTS = List.of(new Component("tap", "spool.dir", 150),
            new Component("archiver", "state.dir", 60));

    @Test
    void eachUnitStartsItsComponentWithTheConfigurationFileAsTheUserRewindAndRestartsItOnFailure() throws IOException {
        for (Component component : COMPONENTS) {
            Map<String, List<String>> unit = read(component.unit());
            assertThat(unit.get("ExecStart")).as(component.name())
                    .containsExactly(INSTALLED_LAUNCHER + " " + component.name() + " --config /etc/rewind/" + component.name() + ".properties");
            assertThat(unit.get("User")).containsExactly("rewind");
            assertThat(unit.get("Restart")).containsExactly("on-failure");
            assertThat(unit.get("EnvironmentFile")).as("optional: a leading '-'").containsExactly("-/etc/rewind/" + component.name() + ".env");
            assertThat(unit.get("Environment")).as("a default heap the environment file may replace").anyMatch(e -> e.contains("JAVA_OPTS=-X"));
            assertThat(REPO.resolve("config").resolve(component.name() + ".properties")).as("the example configuration").exists();
        }
    }

    @Test
    void eachUnitGivesItsComponentTheTimeToDrainWhenStopped() throws IOException {
        for (Component component : COMPONENTS) {
            Map<String, List<String>> unit = read(component.unit());
            assertThat(unit.get("KillSignal")).containsExactly("SIGTERM");
            // Written as seconds ("150s"), which reads the same to systemd and to Duration.
            assertThat(Duration.parse("PT" + unit.get("TimeoutStopSec").get(0).toUpperCase(java.util.Locale.ROOT)))
                    .as(component.name()).isGreaterThanOrEqualTo(Duration.ofSeconds(component.minStopSeconds()));
            assertThat(unit.get("SuccessExitStatus")).as("the JVM's exit code after a SIGTERM is a clean stop").containsExactly("143");
        }
        assertThat(Long.parseLong(read(COMPONENTS.get(0).unit()).get("LimitNOFILE").get(0))).isGreaterThanOrEqualTo(65536);
    }

    @Test
    void theSpoolAndTheArchiversStateAreKeptAcrossRebootsAndWritableUnderTheHardening() throws IOException {
        for (Component component : COMPONENTS) {
            Map<String, List<String>> unit = read(component.unit());
            Properties example = new Properties();
            example.load(new StringReader(Files.readString(REPO.resolve("config").resolve(component.name() + ".properties"))));
            String directory = example.getProperty(component.configKey());
            assertThat(unit.get("StateDirectory")).as("systemd creates /var/lib/<StateDirectory> for the user and keeps it")
                    .hasSize(1).allSatisfy(state -> assertThat("/var/lib/" + state).isEqualTo(directory));
            assertThat(unit.get("ProtectSystem")).containsExactly("strict");
            assertThat(unit.get("ReadWritePaths")).containsExactly(directory);
            assertThat(unit.get("NoNewPrivileges")).containsExactly("true");
            assertThat(unit.get("PrivateTmp")).as("a writable /tmp for the native libraries the JVM unpacks").containsExactly("true");
        }
    }

    /** The staging follower: one instance per target, its options in an argument file, its files in its state directory. */
    @Test
    void theFollowerUnitRunsRestoreFollowFromItsArgumentFileAndStopsCleanly() throws IOException {
        Map<String, List<String>> unit = read(FOLLOWER);
        assertThat(unit.get("ExecStart")).containsExactly(INSTALLED_LAUNCHER + " restore @/etc/rewind/follow-%i.args");
        assertThat(unit.get("User")).containsExactly("rewind");
        assertThat(unit.get("Restart")).containsExactly("on-failure");
        assertThat(unit.get("KillSignal")).containsExactly("SIGTERM");
        // The follower waits 30 s for the batches in flight, then commits and leaves its group.
        assertThat(Duration.parse("PT" + unit.get("TimeoutStopSec").get(0).toUpperCase(java.util.Locale.ROOT)))
                .isGreaterThanOrEqualTo(Duration.ofSeconds(45));
        assertThat(unit.get("SuccessExitStatus")).containsExactly("143");
        assertThat(unit.get("StateDirectory")).containsExactly("rewind/follow-%i");
        assertThat(unit.get("WorkingDirectory")).as("the reject file and the checkpoint, kept and writable")
                .containsExactly("/var/lib/rewind/follow-%i");
        assertThat(unit.get("ReadWritePaths")).containsExactly("/var/lib/rewind/follow-%i");
        assertThat(Files.readString(FOLLOWER)).contains("--follow").contains("--group");
    }

    private static final Path FOLLOWER = UNITS.resolve("rewind-follow@.service");

    @Test
    void theDistributionShipsTheUnits() throws IOException {
        assertThat(Files.readString(REPO.resolve("distribution/pom.xml"))).contains("src/main/systemd");
        assertThat(UNITS.resolve("rewind.sysusers")).content().contains("u rewind ");
    }

    @Test
    void systemdAcceptsTheUnits() throws Exception {
        Path analyze = Programs.requireOrSkip("systemd-analyze", "the units were not checked by systemd (Debian: apt-get install"
                + " systemd)");
        // verify also checks that ExecStart's program exists: the copies checked start this checkout's bin/rewind instead
        // of the installed distribution's, and are the units in every other line.
        List<String> command = new ArrayList<>(List.of(analyze.toString(), "verify"));
        for (Component component : COMPONENTS) {
            String text = Files.readString(component.unit());
            assertThat(text).contains("ExecStart=" + INSTALLED_LAUNCHER + " ");
            Path copy = dir.resolve(component.unit().getFileName());
            Files.writeString(copy, text.replace("ExecStart=" + INSTALLED_LAUNCHER + " ", "ExecStart=" + REPO.resolve("bin/rewind") + " "));
            command.add(copy.toString());
        }
        // A template is verified as one of its instances.
        String follower = Files.readString(FOLLOWER);
        Path instance = dir.resolve("rewind-follow@staging.service");
        Files.writeString(instance, follower.replace("ExecStart=" + INSTALLED_LAUNCHER + " ", "ExecStart=" + REPO.resolve("bin/rewind") + " "));
        command.add(instance.toString());
        Process verify = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output;
        try (InputStream out = verify.getInputStream()) {
            output = new String(out.readAllBytes());
        }
        assertThat(verify.waitFor()).as(output).isZero();
        assertThat(output).as("systemd-analyze warns of an unknown key or a bad value without failing").isEmpty();
    }

    /** A unit's settings: key to values in order (a key may repeat), comments and section headers left out. */
    private static Map<String, List<String>> read(Path unit) throws IOException {
        Map<String, List<String>> out = new LinkedHashMap<>();
        for (String line : Files.readAllLines(unit)) {
            int eq = line.indexOf('=');
            if (line.isBlank() || line.startsWith("#") || line.startsWith("[") || eq < 0) {
                continue;
            }
            String value = line.substring(eq + 1).trim();
            if (value.startsWith("\"") && value.endsWith("\"")) {
                value = value.substring(1, value.length() - 1);
            }
            out.computeIfAbsent(line.substring(0, eq).trim(), k -> new ArrayList<>()).add(value);
        }
        return out;
    }
}
