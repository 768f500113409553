package io.rewind.devstack;

import io.rewind.devstack.process.JavaProcess;
import java.nio.file.Path;
import java.time.Duration;

/** What the dev stack's servers share: a directory, watched or detached JVMs, and how long a clean stop may take. */
public abstract class DevServer {
    protected final Path dir;
    protected final boolean watched;
    private final Duration stopGrace;
    protected JavaProcess process;

    DevServer(Path dir, boolean watched, Duration stopGrace) {
        this.dir = dir;
        this.watched = watched;
        this.stopGrace = stopGrace;
    }

    JavaProcess process() {
        return process;
    }

    /** CPU time the server's JVM has used so far, for benchmarks that count what a run costs the server. */
    public Duration cpuTime() {
        return process == null ? Duration.ZERO
                : ProcessHandle.of(process.pid()).flatMap(p -> p.info().totalCpuDuration()).orElse(Duration.ZERO);
    }

    /**
     * Keeps the server's JVM, every thread it has and will start, on the given CPUs ({@code taskset}),
     * for benchmarks that give the server and its clients CPUs of their own; false where that is not possible.
     */
    public boolean pinTo(String cpus) {
        return process != null && DevServer.pin(process.pid(), cpus);
    }

    /** Pins a process (every thread, and the threads they start) to the CPUs, e.g. {@code "0"} or {@code "1-3"}. */
    public static boolean pin(long pid, String cpus) {
        try {
            Process taskset = new ProcessBuilder("taskset", "-a", "-p", "-c", cpus, Long.toString(pid))
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            return taskset.waitFor() == 0;
        } catch (java.io.IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Stops the server cleanly (SIGTERM), killing it if it is still there after its grace period. Its data stays. */
    public synchronized void stop() {
        if (process != null) {
            process.stop(stopGrace);
        }
    }
}
