package io.rewind.distribution;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/rewind} as users run it. In a source checkout, components started at the same moment wait for one build,
 * later commands build nothing, and a changed source builds a new image while the old one stays for the processes
 * running from it. The build itself is replaced ({@code REWIND_BUILD_COMMAND}) by one that takes the jars this Maven run
 * just made, so that the test checks the launcher, not Maven. And the distribution: unpacked elsewhere, its
 * {@code bin/rewind} runs the verbs from {@code lib/} without building anything.
 */
class LauncherIT {
    /** The repository: Failsafe runs in this module's directory. */
    private static final Path REPO = Path.of(System.getProperty("user.dir")).toAbsolutePath().getParent();
    private static final List<String> MODULES = List.of("ingest-tap", "stream-archiver", "cli", "hbase-tools", "dev-stack",
            "quickstart", "benchmarks");

    @TempDir
    Path dir;

    /** A command's exit code and what it printed. */
    record Run(int exit, String out, String err) {
    }

    @Test
    void componentsStartedAtOnceShareOneBuildAndLaterCommandsBuildNothingUntilASourceChanges() throws Exception {
        Path checkout = dir.resolve("checkout");
        Path source = checkout.resolve("restorer/src/main/java/Changed.java");
        Files.createDirectories(source.getParent());
        Files.writeString(source, "class Changed {}\n");
        Files.createDirectories(checkout.resolve("bin"));
        for (String script : List.of("rewind", "make-image")) {
            Files.copy(REPO.resolve("bin").resolve(script), checkout.resolve("bin").resolve(script));
        }
        Files.copy(REPO.resolve("pom.xml"), checkout.resolve("pom.xml"));
        Path builds = dir.resolve("builds.log");

        Process list = launch(checkout, builds, "list", "--help");
        Process restore = launch(checkout, builds, "restore", "--help");
        Run first = finish(list);
        Run second = finish(restore);

        assertThat(first.exit()).as(first.err()).isZero();
        assertThat(second.exit()).as(second.err()).isZero();
        assertThat(first.out()).contains("--archive");
        assertThat(second.out()).contains("--storage-config");
        assertThat(Files.readAllLines(builds)).as("one build for both").hasSize(1);
        assertThat(checkout.resolve(".rewind/build/tree/.rewind")).as("the copy of the sources leaves the builds out").doesNotExist();
        assertThat(checkout.resolve(".rewind/build/tree/pom.xml")).exists();
        Path image = checkout.resolve(".rewind/build/current").toRealPath();

        Run later = finish(launch(checkout, builds, "verify", "--help"));
        assertThat(later.exit()).as(later.err()).isZero();
        assertThat(later.err()).doesNotContain("Building");
        assertThat(Files.readAllLines(builds)).as("nothing built again").hasSize(1);

        Files.setLastModifiedTime(source, FileTime.from(Instant.now().plusSeconds(2)));
        Run changed = finish(launch(checkout, builds, "list", "--help"));
        assertThat(changed.exit()).as(changed.err()).isZero();
        assertThat(changed.err()).contains("Building Rewind once for every component");
        assertThat(Files.readAllLines(builds)).hasSize(2);
        assertThat(checkout.resolve(".rewind/build/current").toRealPath()).isNotEqualTo(image);
        assertThat(image.resolve("lib/cli.classpath")).as("the image a process may still run from").exists();
    }

    @Test
    void theDistributionUnpackedElsewhereRunsTheVerbsWithoutBuilding() throws Exception {
        Path tar;
        try (Stream<Path> files = Files.list(REPO.resolve("distribution/target"))) {
            tar = files.filter(f -> f.getFileName().toString().matches("rewind-.*\\.tar\\.gz")).findFirst().orElseThrow();
        }
        Process untar = new ProcessBuilder("tar", "-xzf", tar.toString(), "-C", dir.toString()).inheritIO().start();
        assertThat(untar.waitFor()).isZero();
        Path unpacked = dir.resolve(tar.getFileName().toString().replace(".tar.gz", ""));
        for (String module : List.of("ingest-tap", "stream-archiver", "cli", "hbase-tools")) {
            List<String> entries = Files.readAllLines(unpacked.resolve("lib/" + module + ".classpath"));
            String resolved = Files.readString(REPO.resolve(module).resolve("target/classpath.txt")).trim();
            assertThat(entries).as(module + ": its jar and every library Maven resolved for it").hasSize(resolved.split(":").length + 1);
            for (String entry : entries) {
                assertThat(entry).as(module).startsWith("lib/");
                assertThat(unpacked.resolve(entry)).as(module).isRegularFile();
            }
        }
        assertThat(unpacked.resolve("config/tap.properties")).isRegularFile();
        assertThat(unpacked.resolve("README.md")).isRegularFile();

        for (String component : List.of("tap", "archiver", "list", "baseline", "heal")) {
            Run version = run(unpacked, component, "--version");
            assertThat(version.exit()).as(component + ": " + version.err()).isZero();
            assertThat(version.out()).as(component).startsWith("rewind ").doesNotContain("development build");
            assertThat(version.err()).as(component).isEmpty();
        }
        Run tapHelp = run(unpacked, "tap", "--help");
        assertThat(tapHelp.out()).contains("--bootstrap.servers=VALUE").contains("--spool.max.bytes=SIZE");
        Run list = run(unpacked, "list", "--help");
        assertThat(list.exit()).as(list.err()).isZero();
        assertThat(list.out()).contains("--archive");
        assertThat(list.err()).doesNotContain("Building");
        Run baseline = run(unpacked, "baseline", "--help");
        assertThat(baseline.exit()).as(baseline.err()).isZero();
        assertThat(baseline.out()).contains("--storage-config");
        Run dev = run(unpacked, "dev", "up");
        assertThat(dev.exit()).isEqualTo(2);
        assertThat(dev.err()).contains("runs from a source checkout");
        assertThat(unpacked.resolve(".rewind")).doesNotExist();
    }

    /** {@code bin/rewind} of a checkout, its build replaced by one that takes this run's jars and notes that it ran. */
    private Process launch(Path checkout, Path builds, String... args) throws IOException {
        StringBuilder build = new StringBuilder("sleep 2; echo built >> '" + builds + "'");
        for (String module : MODULES) {
            Path target = REPO.resolve(module).resolve("target");
            build.append("; mkdir -p ").append(module).append("/target && cp '").append(target).append("'/rewind-*.jar '")
                    .append(target.resolve("classpath.txt")).append("' ").append(module).append("/target/");
        }
        List<String> command = new ArrayList<>(List.of(checkout.resolve("bin/rewind").toString()));
        command.addAll(List.of(args));
        ProcessBuilder process = new ProcessBuilder(command).directory(dir.toFile());
        process.environment().put("REWIND_BUILD_COMMAND", build.toString());
        return process.start();
    }

    private Run run(Path root, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(root.resolve("bin/rewind").toString()));
        command.addAll(List.of(args));
        return finish(new ProcessBuilder(command).directory(dir.toFile()).start());
    }

    private static Run finish(Process process) throws Exception {
        var out = process.getInputStream();
        var err = process.getErrorStream();
        // Both streams read at once, so that neither fills its pipe while the other is read.
        var errText = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return new String(err.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                return e.toString();
            }
        });
        String outText = new String(out.readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(Duration.ofMinutes(2).toSeconds(), TimeUnit.SECONDS)).isTrue();
        return new Run(process.exitValue(), outText, errText.get());
    }
}
