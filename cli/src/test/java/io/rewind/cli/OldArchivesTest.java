package io.rewind.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Archives written by earlier releases of Rewind, kept in the repository (src/test/old-archives, made by its make.sh with
 * the release each names): every format version, in clear and encrypted, with parts beside segments, rewrites, late
 * points and a baseline. What each must restore comes from the put lines that produced it, not from Rewind: the last
 * value put for each series and timestamp. A change that leaves an old backup unreadable, or reads it differently,
 * fails here.
 */
class OldArchivesTest {
    static final Path ROOT = Path.of("src/test/old-archives");

    /** One archive of one release: its directory, its keyset if encrypted, and the story's put lines and times. */
    record OldArchive(String name, Path archive, Path keyset, Path puts, Properties story) {
        @Override
        public String toString() {
            return name;
        }

        String release() {
            return story.getProperty("release");
        }

        List<String> args(String verb, String... more) {
            List<String> args = new ArrayList<>(List.of(verb, "--archive", archive.toString()));
            if (keyset != null) {
                args.addAll(List.of("--keyset", keyset.toString()));
            }
            args.addAll(List.of(more));
            return args;
        }

        CliRun run(String verb, String... more) {
            return CliRun.of(args(verb, more).toArray(String[]::new));
        }

        /** The export's exit code and error output, and the lines it wrote. */
        CliRun export(String... more) {
            try {
                Path output = Files.createTempFile("old-archive-export", ".txt");
                try {
                    List<String> args = new ArrayList<>(List.of("--from", story.getProperty("from"), "--to", story.getProperty("to"),
                            "--output", output.toString()));
                    args.addAll(List.of(more));
                    CliRun run = run("export", args.toArray(String[]::new));
                    return new CliRun(run.exitCode(), Files.readString(output), run.err());
                } finally {
                    Files.deleteIfExists(output);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        /**
         * The same archive without its baseline, copied into {@code dir}: the releases' archivers' parts and segments alone
         * (the baseline holds every point too, later, and would win every merge).
         */
        OldArchive withoutBaseline(Path dir) throws IOException {
            Path copy = dir.resolve("archive");
            try (Stream<Path> files = Files.walk(archive)) {
                for (Path file : files.filter(Files::isRegularFile).toList()) {
                    Path relative = archive.relativize(file);
                    if (!relative.toString().contains("/baseline/")) {
                        Files.createDirectories(copy.resolve(relative).getParent());
                        Files.copy(file, copy.resolve(relative));
                    }
                }
            }
            return new OldArchive(name + " without its baseline", copy, keyset, puts, story);
        }

        /** The put lines of the story's steps, in the order they were sent. */
        List<String> putLines(String... steps) {
            List<String> lines = new ArrayList<>();
            for (String step : steps) {
                lines.addAll(read(puts.resolve(step)));
            }
            return lines;
        }
    }

    static Stream<OldArchive> archives() throws IOException {
        List<OldArchive> all = new ArrayList<>();
        try (Stream<Path> formats = Files.list(ROOT)) {
            for (Path format : formats.filter(Files::isDirectory).sorted().toList()) {
                Properties story = new Properties();
                try (var in = Files.newInputStream(format.resolve("fixture.properties"))) {
                    story.load(in);
                }
                for (String kind : List.of("clear", "encrypted")) {
                    Path keyset = format.resolve(kind).resolve("keyset.json");
                    all.add(new OldArchive(format.getFileName() + "/" + kind, format.resolve(kind).resolve("archive"),
                            Files.exists(keyset) ? ownersOnly(keyset) : null, format.resolve("puts"), story));
                }
            }
        }
        assertThat(all).as("old archives in " + ROOT.toAbsolutePath()).hasSizeGreaterThanOrEqualTo(6);
        return all.stream();
    }

    /**
     * A copy of the keyset readable by its owner only, as every verb demands of a keyset: Git keeps no file's mode but the
     * executable bit, so the checked-out one is readable by all.
     */
    private static Path ownersOnly(Path keyset) throws IOException {
        Path copy = Files.createTempFile("old-archive-keyset", ".json",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        copy.toFile().deleteOnExit();
        Files.write(copy, Files.readAllBytes(keyset));
        return copy;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("archives")
    void restoresTheLastValuePutForEveryPoint(OldArchive old) {
        CliRun export = old.export();

        assertThat(export.exitCode()).as(export.err()).isZero();
        assertThat(exported(export.out())).isEqualTo(points(old.putLines("1-tsd.txt", "2-tap.txt", "3-tap.txt")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("archives")
    void restoresAsOfAMomentBetweenTwoBatches(OldArchive old) {
        // As of a moment after the first batch and before the second: the cluster's history (the baseline's points, whose
        // cells the TSD wrote and compacted before the tap started) and the first batch; no rewrite, no late point, no new
        // series of the second.
        CliRun export = old.export("--as-of", old.story().getProperty("as-of-between"));

        assertThat(export.exitCode()).as(export.err()).isZero();
        assertThat(exported(export.out())).isEqualTo(points(old.putLines("1-tsd.txt", "2-tap.txt")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("archives")
    void theArchiversPartsAndSegmentsAloneRestoreWhatWentThroughTheTap(OldArchive old, @TempDir Path dir) throws IOException {
        OldArchive tapped = old.withoutBaseline(dir);

        CliRun now = tapped.export();
        CliRun between = tapped.export("--as-of", old.story().getProperty("as-of-between"));

        assertThat(now.exitCode()).as(now.err()).isZero();
        assertThat(exported(now.out())).isEqualTo(points(old.putLines("2-tap.txt", "3-tap.txt")));
        assertThat(between.exitCode()).as(between.err()).isZero();
        assertThat(exported(between.out())).isEqualTo(points(old.putLines("2-tap.txt")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("archives")
    void verifiesEveryFileAndHoldsWhatItClaims(OldArchive old) throws IOException {
        CliRun verify = old.run("verify");

        assertThat(verify.exitCode()).as(verify.out() + verify.err()).isZero();
        List<String> names;
        try (Stream<Path> files = Files.walk(old.archive())) {
            names = files.map(p -> old.archive().relativize(p).toString()).toList();
        }
        int format = Integer.parseInt(old.name().substring("format-".length(), old.name().indexOf('/')));
        assertThat(names).as("the story's archive holds parts and a baseline")
                .anyMatch(n -> n.matches(".*/part-\\d+-\\d+\\.avro"))
                .anyMatch(n -> n.matches(".*/baseline/.*\\.avro"));
        if (old.keyset() == null || format >= 3) {
            // (Releases before 06f9c4a, those of format versions 1 and 2, could not compact an encrypted archive.)
            assertThat(names).as("the story's archive holds segments").anyMatch(n -> n.matches(".*/segment-\\d+\\.avro"));
        }
        for (String file : names.stream().filter(n -> n.endsWith(".avro")).toList()) {
            CliRun inspect = old.run("inspect", file);
            assertThat(inspect.exitCode()).as(file + ": " + inspect.err()).isZero();
            assertThat(inspect.out()).as(file + " written in format version " + format + " by " + old.release())
                    .containsPattern("(?m)^\\s*formatVersion\\s+" + format + "$");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("encryptedArchives")
    void anEncryptedArchiveIsNotReadWithoutItsKeysetAndTheErrorNamesItsKey(OldArchive old) throws IOException {
        long keyId = new ObjectMapper().readTree(old.keyset().toFile()).path("primaryKeyId").asLong();
        OldArchive withoutKeyset = new OldArchive(old.name(), old.archive(), null, old.puts(), old.story());

        CliRun export = withoutKeyset.export();

        assertThat(export.exitCode()).isNotZero();
        assertThat(export.out()).isEmpty();
        assertThat(export.err()).contains(Long.toString(keyId));
    }

    static Stream<OldArchive> encryptedArchives() throws IOException {
        return archives().filter(a -> a.keyset() != null);
    }

    /**
     * Each point of the put lines (metric, tags, and its timestamp as written: seconds, or milliseconds) with the value it
     * holds last, as the lines are read in order.
     */
    static Map<String, String> points(List<String> putLines) {
        Map<String, String> points = new TreeMap<>();
        for (String line : putLines) {
            String[] words = line.trim().split(" +");
            points.put(key(words), value(words[2]));
        }
        return points;
    }

    /** An export's lines as points; a point exported twice fails, whatever its values. */
    static Map<String, String> exported(String export) {
        Map<String, String> points = new TreeMap<>();
        for (String line : lines(export)) {
            String[] words = line.trim().split(" +");
            String before = points.put(key(words), value(words[2]));
            assertThat(before).as("exported once: " + line).isNull();
        }
        return points;
    }

    /** The same points with every timestamp in milliseconds, as a TSD answers a query. */
    static Map<String, String> inMilliseconds(Map<String, String> points) {
        Map<String, String> ms = new TreeMap<>();
        points.forEach((key, value) -> {
            int space = key.lastIndexOf(' ');
            long timestamp = Long.parseLong(key.substring(space + 1));
            ms.put(key.substring(0, space + 1) + (timestamp < 10_000_000_000L ? timestamp * 1000 : timestamp), value);
        });
        return ms;
    }

    private static String key(String[] words) {
        TreeMap<String, String> tags = new TreeMap<>();
        for (int i = 3; i < words.length; i++) {
            String[] kv = words[i].split("=", 2);
            tags.put(kv[0], kv[1]);
        }
        return words[0] + " " + tags + " " + Long.parseLong(words[1]);
    }

    /** An integer as written; a decimal as the double it names (1e-300 and 1.0E-300 alike). */
    static String value(String text) {
        return text.contains(".") || text.contains("e") || text.contains("E")
                ? "float " + Double.toString(Double.parseDouble(text)) : "integer " + Long.parseLong(text);
    }

    static List<String> lines(String text) {
        return text.lines().filter(l -> !l.isBlank()).toList();
    }

    static List<String> read(Path file) {
        try {
            return lines(Files.readString(file));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
