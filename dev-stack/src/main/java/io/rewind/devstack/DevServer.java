package io.rewind.devstack;

import io.rewind.devstack.process.JavaProcess;
import java.nio.file.Path;
import java.time.Duration;

/** What the dev stack's servers share: a directory, watched or detached JVMs, and how long a clean stop may take. */
abstract class DevServer {
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

    /** Stops the server cleanly (SIGTERM), killing it if it is still there after its grace period. Its data stays. */
    public synchronized void stop() {
        if (process != null) {
            process.stop(stopGrace);
        }
    }
}
