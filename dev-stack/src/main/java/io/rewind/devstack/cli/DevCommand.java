package io.rewind.devstack.cli;

import io.rewind.devstack.DevStackControl;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code rewind dev up|status|down}: real Kafka, HBase and OpenTSDB on this machine, without Docker. */
@Command(name = "dev", mixinStandardHelpOptions = true,
        description = {"Runs a real Kafka broker (KRaft), HBase and OpenTSDB 2.4.1 TSDs on this machine, without Docker,",
                "each in its own JVM on free loopback ports, with all data and logs under one directory."},
        subcommands = {DevCommand.Up.class, DevCommand.Status.class, DevCommand.Down.class})
public final class DevCommand implements Runnable {
    @Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    public static void main(String[] args) {
        if (System.getProperty("logback.configurationFile") == null) {
            System.setProperty("logback.configurationFile", "io/rewind/devstack/cli/dev-logback.xml");
        }
        System.exit(commandLine().execute(args));
    }

    public static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new DevCommand());
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            commandLine.getErr().println("rewind dev: " + e.getMessage());
            return 1;
        });
        return cli;
    }

    /** What every verb shares: the stack's directory, and output through the command's writer. */
    abstract static class StackVerb implements Callable<Integer> {
        @Option(names = "--dir", defaultValue = "${REWIND_DEV_DIR:-.rewind/dev}",
                description = "Directory of the stack's data, logs and state (default: ${DEFAULT-VALUE}).")
        Path dir;

        @Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            return run(dir.toAbsolutePath(), spec.commandLine().getOut());
        }

        abstract int run(Path stackDir, PrintWriter out) throws Exception;
    }

    @Command(name = "up", mixinStandardHelpOptions = true,
            description = "Starts the stack in the background, prints its endpoints and returns. Starts fresh: "
                    + "data of an earlier stack in the directory is deleted.")
    static final class Up extends StackVerb {
        @Option(names = "--tsd", split = ",", defaultValue = "production,recovery",
                description = "Names of the TSDs to start, each on its own tables (default: ${DEFAULT-VALUE}).")
        List<String> tsds;

        @Option(names = "--topic", defaultValue = "points",
                description = "The points topic to create, as the tap and the archiver expect it (default: ${DEFAULT-VALUE}).")
        String topic;

        @Option(names = "--partitions", defaultValue = "4", description = "Partitions of the points topic (default: ${DEFAULT-VALUE}).")
        int partitions;

        @Override
        int run(Path stackDir, PrintWriter out) throws Exception {
            long start = System.nanoTime();
            String endpoints = DevStackControl.up(stackDir, tsds, topic, partitions, out);
            out.printf("Rewind dev stack is up (%.1f s):%n%s", (System.nanoTime() - start) / 1e9, endpoints);
            out.println("Stop it with: bin/rewind dev down --dir " + dir);
            return 0;
        }
    }

    @Command(name = "status", mixinStandardHelpOptions = true,
            description = "Prints the stack's endpoints and which servers run. Exit code 0 when all run, 3 otherwise.")
    static final class Status extends StackVerb {
        @Override
        int run(Path stackDir, PrintWriter out) throws Exception {
            return DevStackControl.status(stackDir, out) ? 0 : 3;
        }
    }

    @Command(name = "down", mixinStandardHelpOptions = true,
            description = "Stops every server the stack started. Its data stays in the directory until the next 'up'.")
    static final class Down extends StackVerb {
        @Override
        int run(Path stackDir, PrintWriter out) throws Exception {
            DevStackControl.down(stackDir, out);
            return 0;
        }
    }
}
