package io.rewind.quickstart;

import io.rewind.cli.RewindCli;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import picocli.CommandLine;

/** A {@code rewind} command run in this JVM as a user runs it: its exit code and all it printed (out and err). */
record CliRun(int exit, String out) {
    static CliRun run(String... args) {
        StringWriter out = new StringWriter();
        CommandLine cli = RewindCli.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(out, true));
        int exit = cli.execute(args);
        return new CliRun(exit, out.toString());
    }

    static CliRun run(List<String> args) {
        return run(args.toArray(String[]::new));
    }
}
