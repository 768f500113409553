package io.rewind.distribution;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/rewind} gives every JVM it starts the user's {@code JAVA_OPTS} (the heap, above all), after any option of
 * its own so that the user's win, and says so in its help. Checked in a distribution's layout with a {@code java} that
 * only prints its arguments, so that no JVM starts.
 */
class LauncherJavaOptsTest {
    private static final Path REPO = Path.of(System.getProperty("user.dir")).toAbsolutePath().getParent();
    /** A command of bin/rewind, the module whose classpath it runs and its main class. */
    private record Component(String command, String module, String main) {
    }

    private static final List<Component> COMPONENTS = List.of(new Component("tap", "ingest-tap", "io.rewind.tap.Tap"),
            new Component("archiver", "stream-archiver", "io.rewind.archiver.Archiver"), new Component("list", "cli", "io.rewind.cli.RewindCli"));

    @TempDir
    Path dir;

    @BeforeEach
    void aDistributionWithAJavaThatPrintsItsArguments() throws IOException {
        Files.createDirectories(dir.resolve("bin"));
        Files.createDirectories(dir.resolve("lib"));
        Files.copy(REPO.resolve("bin/rewind"), dir.resolve("bin/rewind"));
        for (Component component : COMPONENTS) {
            Files.writeString(dir.resolve("lib").resolve(component.module() + ".classpath"), "lib/" + component.module() + ".jar\n");
        }
        Path java = dir.resolve("jdk/bin/java");
        Files.createDirectories(java.getParent());
        Files.writeString(java, "#!/bin/sh\nfor a in \"$@\"; do echo \"$a\"; done\n");
        Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    @Test
    void theUsersJavaOptsReachEveryComponentsJvmBeforeItsClass() throws Exception {
        for (Component component : COMPONENTS) {
            List<String> args = launch("-Xms512m -Xmx1g  -Dlogback.configurationFile=/etc/rewind/logback.xml", component.command(), "--help");
            assertThat(args.subList(0, 6)).as(component.command()).containsExactly("-cp", dir.resolve("lib/" + component.module() + ".jar").toString(),
                    "-Xms512m", "-Xmx1g", "-Dlogback.configurationFile=/etc/rewind/logback.xml", component.main());
            assertThat(args.get(args.size() - 1)).isEqualTo("--help");
        }
    }

    @Test
    void withoutJavaOptsTheJvmGetsOnlyItsClasspath() throws Exception {
        assertThat(launch(null, "tap", "--config", "/etc/rewind/tap.properties"))
                .containsExactly("-cp", dir.resolve("lib/ingest-tap.jar").toString(), "io.rewind.tap.Tap", "--config", "/etc/rewind/tap.properties");
    }

    @Test
    void theHelpNamesJavaOpts() throws Exception {
        Process help = new ProcessBuilder(dir.resolve("bin/rewind").toString(), "--help").redirectErrorStream(true).start();
        String out = new String(help.getInputStream().readAllBytes());
        assertThat(help.waitFor()).isZero();
        assertThat(out).contains("JAVA_OPTS");
    }

    private List<String> launch(String javaOpts, String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of(dir.resolve("bin/rewind").toString()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().put("JAVA_HOME", dir.resolve("jdk").toString());
        builder.environment().remove("JAVA_OPTS");
        if (javaOpts != null) {
            builder.environment().put("JAVA_OPTS", javaOpts);
        }
        Process process = builder.start();
        String out = new String(process.getInputStream().readAllBytes());
        String err = new String(process.getErrorStream().readAllBytes());
        assertThat(process.waitFor()).as(err).isZero();
        return out.lines().toList();
    }
}
