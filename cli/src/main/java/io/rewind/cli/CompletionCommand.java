package io.rewind.cli;

import java.util.concurrent.Callable;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;

@Command(name = "completion", mixinStandardHelpOptions = true,
        description = {"Prints a bash (and zsh, with bashcompinit) completion script for bin/rewind's commands and options:",
                "source <(bin/rewind completion), or save it in /etc/bash_completion.d/rewind."})
final class CompletionCommand implements Callable<Integer> {
    /** The launcher's commands that are not verbs of this command line: completed by name. */
    private static final String[] LAUNCHER_COMMANDS = {"dev", "tap", "archiver", "quickstart", "bench"};

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        CommandLine rewind = RewindCli.commandLine();
        for (String command : LAUNCHER_COMMANDS) {
            rewind.addSubcommand(command, CommandLine.Model.CommandSpec.create().name(command));
        }
        spec.commandLine().getOut().print(AutoComplete.bash("rewind", rewind));
        spec.commandLine().getOut().flush();
        return RewindCli.OK;
    }
}
