package io.rewind.cli;

import io.rewind.archive.crypto.Keyset;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "keys", mixinStandardHelpOptions = true,
        description = {"Makes and rotates the keyset that encrypts an archive (every component's 'keyset' setting). Keep it apart",
                "from the archive, and keep every key that encrypted a file you may restore: rotation keeps the older keys."},
        subcommands = {KeysCommand.Create.class, KeysCommand.Rotate.class, KeysCommand.ListKeys.class})
final class KeysCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** The keyset file every subcommand names. */
    static final class KeysetFile {
        @Option(names = "--keyset", required = true, paramLabel = "FILE", description = "The keyset file.")
        Path file;
    }

    private static void describe(PrintWriter out, Keyset keyset, String what) {
        out.printf("%s %s: %d key(s), primary key %d (new files are encrypted with it)%n", what, keyset.source(), keyset.keys().size(),
                keyset.primary().id());
        keyset.keys().values().forEach(k -> out.printf("  key %10d  %s  created %s%s%n", k.id(), Keyset.ALGORITHM, k.created(),
                k.id() == keyset.primary().id() ? "  (primary)" : ""));
        out.flush();
    }

    @Command(name = "create", mixinStandardHelpOptions = true, description = "Writes a new keyset of one key (readable by its owner only).")
    static final class Create implements Callable<Integer> {
        @CommandLine.Mixin
        KeysetFile keyset;
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            Keyset created = Keyset.createOrRotate(keyset.file, false);
            describe(spec.commandLine().getOut(), created, "Created");
            return RewindCli.OK;
        }
    }

    @Command(name = "rotate", mixinStandardHelpOptions = true,
            description = {"Adds a new primary key: files written from now on use it; files the older keys encrypted stay readable.",
                    "Restart the archiver (and the baseline) to take it up."})
    static final class Rotate implements Callable<Integer> {
        @CommandLine.Mixin
        KeysetFile keyset;
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            Keyset rotated = Keyset.createOrRotate(keyset.file, true);
            describe(spec.commandLine().getOut(), rotated, "Rotated");
            return RewindCli.OK;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "The keys' ids and dates (never their material).")
    static final class ListKeys implements Callable<Integer> {
        @CommandLine.Mixin
        KeysetFile keyset;
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            describe(spec.commandLine().getOut(), Keyset.read(keyset.file), "Keyset");
            return RewindCli.OK;
        }
    }
}
