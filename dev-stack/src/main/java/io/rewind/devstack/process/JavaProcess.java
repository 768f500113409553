package io.rewind.devstack.process;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * A server or tool running in its own JVM, with its own classpath, its output in one log file.
 * Started either watched (it ends when this JVM ends: tests) or detached (it outlives this JVM:
 * {@code rewind dev up}).
 */
public final class JavaProcess {
    private static final Optional<Path> SETSID = java.util.stream.Stream.of("/usr/bin/setsid", "/bin/setsid").map(Path::of)
            .filter(Files::isExecutable).findFirst();

    private final String name;
    private final ProcessHandle handle;
    /** Present when this JVM started the process: only then is its exit code known. */
    private final Optional<Process> process;
    private final Path log;

    private JavaProcess(String name, ProcessHandle handle, Optional<Process> process, Path log) {
        this.name = name;
        this.handle = handle;
        this.process = process;
        this.log = log;
    }

    /** What to run: a main class on a classpath, with JVM options and arguments. */
    public record Spec(String name, List<Path> classpath, List<String> jvmOptions, String mainClass, List<String> args,
            Path workDir, Path log) {
    }

    /**
     * Starts the JVM. With {@code watchParent}, the child halts itself once this JVM is gone.
     */
    public static JavaProcess start(Spec spec, boolean watchParent) throws IOException {
        Files.createDirectories(spec.workDir());
        Files.createDirectories(spec.log().getParent());
        List<String> command = new ArrayList<>();
        // In a session of its own, a Ctrl-C at the terminal reaches only the JVM that started the server,
        // which stops its servers in order (what uses Kafka before Kafka), instead of every process at once.
        SETSID.ifPresent(setsid -> command.add(setsid.toString()));
        command.add(javaExecutable());
        command.addAll(spec.jvmOptions());
        List<Path> classpath = new ArrayList<>(spec.classpath());
        if (watchParent) {
            classpath.add(ownLocation());
        }
        command.add("-cp");
        command.add(classpath.stream().map(Path::toString).collect(Collectors.joining(java.io.File.pathSeparator)));
        if (watchParent) {
            command.add(ParentWatch.class.getName());
            command.add(Long.toString(ProcessHandle.current().pid()));
        }
        command.add(spec.mainClass());
        command.addAll(spec.args());
        Process process = new ProcessBuilder(command)
                .directory(spec.workDir().toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(spec.log().toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .start();
        return new JavaProcess(spec.name(), process.toHandle(), Optional.of(process), spec.log());
    }

    /** Runs a tool to completion in a watched JVM; fails with the end of its log when it exits non-zero or overruns. */
    public static void run(Spec spec, Duration timeout) throws IOException {
        JavaProcess tool = start(spec, true);
        Optional<Integer> exit = tool.awaitExit(timeout);
        if (exit.isEmpty()) {
            tool.kill();
            throw new IllegalStateException(spec.name() + " did not finish within " + timeout.toSeconds() + " s" + tool.logTail());
        }
        if (exit.get() != 0) {
            throw new IllegalStateException(spec.name() + " failed with exit code " + exit.get() + tool.logTail());
        }
    }

    /** Attaches to a process started earlier (by {@code rewind dev up}), if it still runs and is the same process. */
    public static Optional<JavaProcess> attach(String name, long pid, Instant started, Path log) {
        return ProcessHandle.of(pid)
                .filter(h -> h.info().startInstant().map(i -> i.equals(started)).orElse(false))
                .map(h -> new JavaProcess(name, h, Optional.empty(), log));
    }

    public String name() {
        return name;
    }

    public long pid() {
        return handle.pid();
    }

    public Instant startInstant() {
        return handle.info().startInstant().orElse(Instant.EPOCH);
    }

    public Path log() {
        return log;
    }

    public boolean isAlive() {
        return handle.isAlive();
    }

    /** Fails with the end of the log when the process has died, e.g. while a caller waits for it to be ready. */
    public void checkAlive() {
        if (!handle.isAlive()) {
            throw new IllegalStateException(name + " exited before it was ready" + logTail());
        }
    }

    /** Asks the process to stop (SIGTERM), kills it (SIGKILL) if it is still there after the grace period. */
    public void stop(Duration grace) {
        if (!handle.isAlive()) {
            return;
        }
        handle.destroy();
        if (awaitExit(grace).isEmpty()) {
            kill();
        }
    }

    /** Kills the process at once (SIGKILL), like a crash, and waits until it is gone. */
    public void kill() {
        handle.destroyForcibly();
        awaitExit(Duration.ofSeconds(30));
    }

    /** The exit code once the process has ended (0 for a process this JVM did not start), empty on timeout. */
    private Optional<Integer> awaitExit(Duration timeout) {
        try {
            if (process.isPresent()) {
                // The Process itself, not its handle: the handle's onExit can complete before the Process has taken the exit
                // status, and exitValue() then fails with "process hasn't exited".
                return process.get().waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS) ? Optional.of(process.get().exitValue())
                        : Optional.empty();
            }
            handle.onExit().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        }
        return Optional.of(0);
    }

    /** The last lines of the log, to put into an error message. */
    public String logTail() {
        return "\n--- last lines of " + log + " ---\n" + Logs.tail(log, 40);
    }

    @Override
    public String toString() {
        return name + " (pid " + pid() + ")";
    }

    static String javaExecutable() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private static Path ownLocation() {
        try {
            return Path.of(ParentWatch.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
