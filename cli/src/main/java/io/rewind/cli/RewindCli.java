package io.rewind.cli;

import io.rewind.archive.segment.SegmentCorruptException;
import java.io.IOException;
import java.io.UncheckedIOException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code rewind <verb>}: the verbs that read the archive need storage alone (guarantee 5); {@code baseline} reads a
 * cluster's HBase tables into it. Exit codes: 0 done and
 * sound; 1 done, but something is wrong (verify problems, rejected points, a failed --verify); 2 the
 * command line is wrong; 3 the work could not be done (storage or target unreachable, corrupt input):
 * a restore can then be rerun to continue.
 */
@Command(name = "rewind", mixinStandardHelpOptions = true, versionProvider = RewindCli.Version.class,
        description = "Lists, inspects, verifies, restores and exports Rewind's archive of OpenTSDB points, and backs up what a cluster already holds.",
        subcommands = {ListCommand.class, InspectCommand.class, VerifyCommand.class, ChangesCommand.class, ServeCommand.class, RestoreCommand.class, ExportCommand.class,
                DrillCommand.class, CopyCommand.class, KeysCommand.class, BaselineCommand.class, HealCommand.class, CompletionCommand.class})
public final class RewindCli implements Runnable {
    public static final int OK = 0;
    public static final int PROBLEMS = 1;
    public static final int USAGE = 2;
    public static final int FAILED = 3;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    public static void main(String[] args) {
        if (System.getProperty("logback.configurationFile") == null) {
            System.setProperty("logback.configurationFile", "io/rewind/cli/rewind-logback.xml");
        }
        System.exit(commandLine().execute(args));
    }

    public static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new RewindCli());
        cli.getSubcommands().values().forEach(verb -> verb.getCommandSpec().versionProvider(new Version())); // rewind list --version
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            Throwable cause = e instanceof UncheckedIOException u ? u.getCause() : e;
            commandLine.getErr().println("rewind " + commandLine.getCommandName() + ": " + message(cause));
            return cause instanceof IllegalArgumentException ? USAGE : FAILED;
        });
        return cli;
    }

    private static String message(Throwable e) {
        if (e instanceof SegmentCorruptException || e instanceof IllegalArgumentException || e instanceof IllegalStateException) {
            return e.getMessage();
        }
        String what = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return e instanceof IOException && !(e instanceof java.nio.file.NoSuchFileException) ? what
                : e.getClass().getSimpleName() + ": " + what;
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String version = RewindCli.class.getPackage().getImplementationVersion();
            return new String[] {"rewind " + (version == null ? "(development build)" : version)};
        }
    }
}
