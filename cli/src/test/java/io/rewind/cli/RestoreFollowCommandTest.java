package io.rewind.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code restore --follow} refuses what it cannot keep before it reads the archive, asks Kafka or writes a file: no Kafka
 * named, no group, an {@code --as-of} (a follower writes every new version), {@code --replace} or {@code --verify} (it never
 * finishes), {@code --no-sync} (a TSD's answer would not say the points are stored), {@code --json}.
 */
class RestoreFollowCommandTest {
    @TempDir
    Path dir;

    @Test
    void whatAFollowerCannotKeepIsRefusedBeforeAnythingIsRead() throws Exception {
        assertRefused(List.of("--group", "g"), "--bootstrap-servers");
        assertRefused(List.of("--bootstrap-servers", "127.0.0.1:1"), "--follow needs a --group");
        assertRefused(List.of("--bootstrap-servers", "127.0.0.1:1", "--group", "g", "--as-of", "-1h"), "--as-of");
        assertRefused(List.of("--bootstrap-servers", "127.0.0.1:1", "--group", "g", "--verify"), "--verify");
        assertRefused(List.of("--bootstrap-servers", "127.0.0.1:1", "--group", "g", "--no-sync"), "--sync");
        assertRefused(List.of("--bootstrap-servers", "127.0.0.1:1", "--group", "g", "--json"), "--json");
        assertRefused(List.of("--bootstrap-servers", "127.0.0.1:1", "--group", "g", "--follow-buffer", "10"), "--follow-buffer");
    }

    private void assertRefused(List<String> options, String named) throws Exception {
        Path rejects = dir.resolve("out").resolve("f.rejects.jsonl");
        Files.createDirectories(rejects.getParent());
        List<String> args = new ArrayList<>(List.of("restore", "--archive", dir.resolve("archive").toString(), "--from", "-1h",
                "--follow", "--target", "http://127.0.0.1:1", "--rejects", rejects.toString()));
        args.addAll(options);
        CliRun run = CliRun.of(args.toArray(String[]::new));
        assertThat(run.exitCode()).as(run.out() + run.err()).isEqualTo(RewindCli.USAGE);
        assertThat(run.err()).as(String.join(" ", options)).contains(named);
        assertThat(run.out()).doesNotContain("Restoring").doesNotContain("Following");
        try (var written = Files.list(rejects.getParent())) {
            assertThat(written).as("no checkpoint, no reject file").isEmpty();
        }
    }
}
