package io.rewind.service;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;

/**
 * What every Rewind process exports about its JVM beside its own metrics: memory by pool, threads, loaded classes, CPU
 * use and uptime ({@code jvm_memory_used_bytes}, {@code jvm_threads_live_threads}, {@code process_cpu_usage},
 * {@code process_uptime_seconds}, ...), so that a heap filling up or a restart loop shows on the same admin port. None of
 * them registers a listener, so a process that starts several (tests do) leaves nothing behind.
 */
public final class ProcessMetrics {
    private ProcessMetrics() {
    }

    public static void bindTo(MeterRegistry registry) {
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
    }
}
