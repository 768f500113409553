package io.rewind.distribution;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The layout docs/DESIGN.md draws, held on the compiled classes of every module this one packages: dependencies point one
 * way (command line, engines, libraries, base), no engine uses another, and no package is part of a cycle.
 */
class LayoutTest {
    private static final List<String> ENGINES = List.of("io.rewind.tap..", "io.rewind.archiver..", "io.rewind.restore..",
            "io.rewind.baseline..");
    private static JavaClasses classes;

    @BeforeAll
    static void importMainClasses() {
        classes = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).importPackages("io.rewind");
        assertThat(classes.stream().map(c -> c.getPackageName().split("\\.")[2]).distinct())
                .as("every module's classes are imported").contains("cli", "restore", "baseline", "tap", "archiver", "archive",
                        "opentsdb", "service", "schema", "devstack", "quickstart", "bench");
    }

    @Test
    void dependenciesPointFromTheCommandLineToTheEnginesToTheLibrariesToTheBase() {
        layeredArchitecture().consideringOnlyDependenciesInLayers()
                .layer("Tools").definedBy("io.rewind.quickstart..", "io.rewind.bench..", "io.rewind.devstack..")
                .layer("Command line").definedBy("io.rewind.cli..")
                .layer("Engines").definedBy(ENGINES.toArray(String[]::new))
                .layer("Libraries").definedBy("io.rewind.archive..", "io.rewind.opentsdb..")
                .layer("Base").definedBy("io.rewind.service..", "io.rewind.schema..", "io.rewind.hbasetools..")
                .whereLayer("Tools").mayNotBeAccessedByAnyLayer()
                .whereLayer("Command line").mayOnlyBeAccessedByLayers("Tools")
                .whereLayer("Engines").mayOnlyBeAccessedByLayers("Command line", "Tools")
                .whereLayer("Libraries").mayOnlyBeAccessedByLayers("Engines", "Command line", "Tools")
                .check(classes);
    }

    @Test
    void noEngineUsesAnother() {
        for (String engine : ENGINES) {
            noClasses().that().resideInAPackage(engine).should().dependOnClassesThat()
                    .resideInAnyPackage(ENGINES.stream().filter(e -> !e.equals(engine)).toArray(String[]::new))
                    .check(classes);
        }
    }

    @Test
    void theLibrariesKeepToThemselves() {
        noClasses().that().resideInAPackage("io.rewind.archive..").should().dependOnClassesThat().resideInAPackage("io.rewind.opentsdb..")
                .check(classes);
        noClasses().that().resideInAPackage("io.rewind.opentsdb..").should().dependOnClassesThat().resideInAPackage("io.rewind.archive..")
                .check(classes);
        noClasses().that().resideInAPackage("io.rewind.schema..").should().dependOnClassesThat().resideInAPackage("io.rewind.service..")
                .check(classes);
    }

    @Test
    void noSourceDirectoryIsNamedAsTheBuildsOutput() throws IOException {
        // Git (.gitignore) and the launcher's image build skip every directory named target: the new files of such a
        // package, main or test, would be missing from a clone.
        Path repo = Path.of(System.getProperty("user.dir")).toAbsolutePath().getParent();
        List<Path> named;
        try (Stream<Path> sources = Files.find(repo, 4, (path, attributes) -> attributes.isDirectory()
                && path.getFileName().toString().equals("src") && !repo.relativize(path).toString().contains("target")
                && !repo.relativize(path).toString().startsWith("."))) {
            named = sources.flatMap(src -> {
                try (Stream<Path> dirs = Files.walk(src)) {
                    return dirs.filter(d -> Files.isDirectory(d) && d.getFileName().toString().equals("target")).toList().stream();
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }).toList();
        }
        assertThat(named).isEmpty();
        assertThat(classes.stream().map(c -> List.of(c.getPackageName().split("\\.")))).noneMatch(parts -> parts.contains("target"));
    }

    @Test
    void noPackageIsPartOfACycle() {
        slices().matching("io.rewind.(**)").should().beFreeOfCycles().check(classes);
    }
}
