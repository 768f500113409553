package io.rewind.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.rewind.archive.copy.ArchiveCopy;
import io.rewind.archive.storage.local.LocalStorage;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What {@code copy} says, and its exit code, when a run leaves work for the next one. */
class CopyCommandTest {
    @TempDir
    Path dir;

    @Test
    void filesGoneFromTheArchiveSinceTheListingAskForARerunAndExitOne() {
        CopyCommand command = new CopyCommand();
        command.delete = true;
        StringWriter text = new StringWriter();

        int code = report(command, text, new ArchiveCopy.Result(3, 300, 5, 0, 2, 0, List.of(), 1_000));

        assertThat(code).isEqualTo(RewindCli.PROBLEMS);
        assertThat(text.toString()).contains("2 file(s) gone from the archive since it was listed")
                .contains("INCOMPLETE: run rewind copy again")
                .contains("0 deleted (deletions wait for a complete run)");
    }

    @Test
    void theJsonReportCountsWhatIsGoneAndSaysTheCopyIsIncomplete() {
        CopyCommand command = new CopyCommand();
        command.json = true;
        StringWriter text = new StringWriter();

        int code = report(command, text, new ArchiveCopy.Result(3, 300, 5, 0, 2, 0, List.of(), 1_000));

        assertThat(code).isEqualTo(RewindCli.PROBLEMS);
        assertThat(text.toString()).contains("\"gone\" : 2").contains("\"complete\" : false");
    }

    @Test
    void aCompleteRunExitsZero() {
        CopyCommand command = new CopyCommand();
        StringWriter text = new StringWriter();

        int code = report(command, text, new ArchiveCopy.Result(3, 300, 5, 0, 0, 0, List.of(), 1_000));

        assertThat(code).isEqualTo(RewindCli.OK);
        assertThat(text.toString()).doesNotContain("INCOMPLETE");
    }

    private int report(CopyCommand command, StringWriter text, ArchiveCopy.Result result) {
        try (LocalStorage source = new LocalStorage(dir.resolve("source")); LocalStorage copy = new LocalStorage(dir.resolve("copy"))) {
            return command.report(new PrintWriter(text, true), source, copy, result);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
