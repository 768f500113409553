package io.rewind.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import picocli.CommandLine;

/** Runs a verb in this JVM as a user would from the shell, keeping its exit code and output. */
public record CliRun(int exitCode, String out, String err) {
    public static CliRun of(String... args) {
        return of(RewindCli.commandLine(), args);
    }

    /** Runs a command line of another main class (the baseline's) the same way. */
    public static CliRun of(CommandLine cli, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int code = cli.execute(args);
        return new CliRun(code, out.toString(), err.toString());
    }
}
