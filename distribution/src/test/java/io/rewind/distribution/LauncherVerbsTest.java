package io.rewind.distribution;

import static org.assertj.core.api.Assertions.assertThat;

import io.rewind.cli.RewindCli;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Every verb of the command line is one bin/rewind runs and lists in its help: a verb added to the CLI alone is a verb users cannot reach. */
class LauncherVerbsTest {
    private static final Path REPO = Path.of(System.getProperty("user.dir")).toAbsolutePath().getParent();

    @Test
    void binRewindDispatchesAndListsEveryVerbOfTheCommandLine() throws Exception {
        String launcher = Files.readString(REPO.resolve("bin/rewind"));
        Matcher dispatch = Pattern.compile("(?m)^\\s*(list\\|[a-z|]+)\\)").matcher(launcher);
        assertThat(dispatch.find()).as("the case that runs the CLI's verbs").isTrue();
        java.util.List<String> dispatched = java.util.List.of(dispatch.group(1).split("\\|"));
        for (String verb : RewindCli.commandLine().getSubcommands().keySet()) {
            assertThat(dispatched).as("bin/rewind runs " + verb).contains(verb);
            assertThat(launcher).as("bin/rewind's help lists " + verb).containsPattern("(?m)^  " + verb + "\\b");
        }
    }
}
