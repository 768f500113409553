package io.rewind.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The completion script, loaded into a real bash and asked what follows what a user typed. */
class CompletionTest {
    @TempDir
    Path dir;

    @Test
    void bashCompletesTheCommandsAndEachVerbsOptions() throws Exception {
        CliRun run = CliRun.of("completion");
        assertThat(run.exitCode()).as(run.err()).isZero();
        Path script = dir.resolve("rewind-completion.bash");
        Files.writeString(script, run.out());

        assertThat(complete(script, "rewind", "")).contains("restore", "drill", "list", "baseline", "tap", "archiver", "dev", "quickstart");
        assertThat(complete(script, "rewind", "dr")).containsExactly("drill");
        assertThat(complete(script, "rewind", "restore", "--kafka")).contains("--kafka-tail", "--kafka");
        assertThat(complete(script, "rewind", "drill", "--ev")).containsExactly("--every");
        assertThat(complete(script, "rewind", "baseline", "--sha")).containsExactly("--shard");
        assertThat(complete(script, "bin/rewind", "list", "--boot")).containsExactly("--bootstrap-servers");
    }

    /** What bash offers for the last word, the words before it typed: as on pressing Tab. */
    private static List<String> complete(Path script, String... words) throws Exception {
        StringBuilder line = new StringBuilder();
        for (String word : words) {
            line.append(line.length() == 0 ? "" : " ").append(word);
        }
        String program = "source '" + script + "'\n"
                + "COMP_WORDS=(" + String.join(" ", java.util.Arrays.stream(words).map(w -> "'" + w + "'").toList()) + ")\n"
                + "COMP_CWORD=" + (words.length - 1) + "\n"
                + "COMP_LINE='" + line + "'\nCOMP_POINT=${#COMP_LINE}\n"
                + "_complete_rewind\nprintf '%s\\n' \"${COMPREPLY[@]}\"\n";
        // compopt complains outside a real Tab press; the replies are what counts.
        Process bash = new ProcessBuilder("bash", "-c", program).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(bash.getInputStream().readAllBytes());
        assertThat(bash.waitFor()).as(out).isZero();
        return out.lines().map(String::trim).filter(s -> !s.isEmpty()).toList();
    }
}
