package io.rewind.bench;

import io.rewind.devstack.DevServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;

/**
 * Time and CPU time of named processes over the measured stretches of one way of working, printed
 * per million points: a steadier figure than a rate on a shared machine, and one that says where the
 * CPU went. Each stretch reads every source before and after and adds the differences, so ways of
 * working that alternate round after round each get only their own share.
 */
final class CpuMeter {
    /** A process's CPU time so far (or the whole machine's). */
    record Source(String name, Supplier<Duration> cpu) {
    }

    /** This JVM: the benchmark's load generators, and whatever of Rewind it runs in-process. */
    static Source thisJvm(String name) {
        return new Source(name, () -> ProcessHandle.current().info().totalCpuDuration().orElse(Duration.ZERO));
    }

    /** The name every load generator thread of a benchmark starts with, to tell their CPU time from the rest of the JVM's. */
    static final String LOAD_THREAD_PREFIX = "bench-load-";

    /** The CPU time of this JVM's load generator threads (alive: a benchmark's pool of them lives as long as it does). */
    static Source loadThreads(String name) {
        return new Source(name, () -> Duration.ofNanos(loadNanos()));
    }

    /** This JVM but its load generators: the part of Rewind it runs in-process (its threads, and the JVM's GC and JIT). */
    static Source thisJvmButLoad(String name) {
        return new Source(name, () -> ProcessHandle.current().info().totalCpuDuration().orElse(Duration.ZERO).minusNanos(loadNanos()));
    }

    /** CPU time so far of every live thread of this JVM, by name. */
    static java.util.Map<String, Long> byThread() {
        java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
        java.util.Map<String, Long> cpu = new java.util.HashMap<>();
        for (java.lang.management.ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds())) {
            if (info != null) {
                cpu.merge(info.getThreadName(), Math.max(0, threads.getThreadCpuTime(info.getThreadId())), Long::sum);
            }
        }
        return cpu;
    }

    /**
     * Where a stretch's CPU went in this JVM, per million points, by kind of thread (their names without the numbers):
     * the threads Java counts; the JVM's own (GC, JIT) are the rest of {@link #thisJvm}.
     */
    static String threadRow(java.util.Map<String, Long> before, java.util.Map<String, Long> after, long points) {
        java.util.Map<String, Long> kinds = new java.util.TreeMap<>();
        after.forEach((name, nanos) -> kinds.merge(name.replaceAll("\\|.*", "").replaceAll("[-#]?[0-9]+$", "").trim(),
                nanos - before.getOrDefault(name, 0L), Long::sum));
        java.util.List<String> parts = new java.util.ArrayList<>();
        kinds.entrySet().stream().filter(e -> e.getValue() / 1e3 / points >= 0.01).sorted((x, y) -> Long.compare(y.getValue(), x.getValue()))
                .forEach(e -> parts.add(String.format("%s %.2f", e.getKey(), e.getValue() / 1e3 / points)));
        return "    by thread: " + String.join(", ", parts) + " CPU s (the rest of the tap's: the JVM's GC and JIT)";
    }

    private static long loadNanos() {
        return byThread().entrySet().stream().filter(e -> e.getKey().startsWith(LOAD_THREAD_PREFIX)).mapToLong(java.util.Map.Entry::getValue).sum();
    }

    /**
     * The time this JVM's JIT compilers spent compiling: high while a path is not yet warm. Elapsed time, not CPU time (a
     * compile that waits for a CPU counts too), so on a busy machine it can exceed {@link #thisJvm}'s CPU time.
     */
    static Source jit(String name) {
        return new Source(name, () -> Duration.ofMillis(java.lang.management.ManagementFactory.getCompilationMXBean().getTotalCompilationTime()));
    }

    static Source server(String name, DevServer server) {
        return new Source(name, server::cpuTime);
    }

    /** User, nice and system time of all CPUs (/proc/stat, in its 1/100 s ticks); zero where there is none. */
    static Source machine() {
        return new Source("machine", () -> {
            try {
                String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
                return Duration.ofMillis((Long.parseLong(f[1]) + Long.parseLong(f[2]) + Long.parseLong(f[3])) * 10);
            } catch (IOException | RuntimeException e) {
                return Duration.ZERO;
            }
        });
    }

    /** Work that handles a known number of points. */
    interface Work {
        void run() throws Exception;
    }

    final String name;
    private final List<Source> sources;
    private final boolean others;
    private final double[] cpuSeconds;
    private long points;
    private double seconds;
    private final List<Double> stretchRates = new java.util.ArrayList<>();

    /**
     * @param others with {@link #machine()} as the first source: also print the machine's CPU the other sources
     *        do not account for (processes the benchmark starts and cannot read, such as a restore's JVM)
     */
    CpuMeter(String name, boolean others, Source... sources) {
        this.name = name;
        this.sources = List.of(sources);
        this.others = others;
        this.cpuSeconds = new double[sources.length];
    }

    CpuMeter(String name, Source... sources) {
        this(name, false, sources);
    }

    /** Runs one stretch of work that handles {@code n} points, measured or, to warm up, not. */
    void measure(boolean measured, long n, Work work) throws Exception {
        if (measured) {
            measure(n, work);
        } else {
            work.run();
        }
    }

    /** Runs one stretch of work that handles {@code n} points, adding its elapsed time and CPU time. */
    void measure(long n, Work work) throws Exception {
        double[] before = read();
        long start = System.nanoTime();
        work.run();
        double elapsed = (System.nanoTime() - start) / 1e9;
        seconds += elapsed;
        stretchRates.add(n / elapsed);
        double[] after = read();
        for (int i = 0; i < before.length; i++) {
            cpuSeconds[i] += after[i] - before[i];
        }
        points += n;
    }

    private double[] read() {
        double[] now = new double[sources.size()];
        for (int i = 0; i < now.length; i++) {
            now[i] = sources.get(i).cpu().get().toNanos() / 1e9;
        }
        return now;
    }

    long points() {
        return points;
    }

    double seconds() {
        return seconds;
    }

    double pointsPerSecond() {
        return points / seconds;
    }

    /** Points per second of each measured stretch, in order. */
    List<Double> stretchRates() {
        return List.copyOf(stretchRates);
    }

    /** CPU seconds per million points of the source at {@code index}, in the order given. */
    double cpuPerMillion(int index) {
        return cpuSeconds[index] * 1e6 / points;
    }

    /** CPU seconds per million points of every source, named. */
    String cpuRow() {
        StringBuilder row = new StringBuilder(String.format("  %-46s", name));
        double perMillion = 1e6 / points;
        double accounted = 0;
        for (int i = 0; i < cpuSeconds.length; i++) {
            row.append(String.format("  %s %6.2f", sources.get(i).name(), cpuSeconds[i] * perMillion));
            accounted += i == 0 ? 0 : cpuSeconds[i];
        }
        if (others) {
            row.append(String.format("  others %6.2f", (cpuSeconds[0] - accounted) * perMillion));
        }
        return row.append("  CPU s").toString();
    }
}
