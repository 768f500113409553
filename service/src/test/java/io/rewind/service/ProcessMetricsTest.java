package io.rewind.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.Test;

class ProcessMetricsTest {
    @Test
    void aProcessExportsItsMemoryThreadsCpuAndUptime() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

        ProcessMetrics.bindTo(registry);

        String scrape = registry.scrape();
        assertThat(scrape).contains("jvm_memory_used_bytes{", "jvm_memory_max_bytes{", "jvm_threads_live_threads ",
                "jvm_classes_loaded_classes ", "process_cpu_usage ", "system_cpu_count ", "process_uptime_seconds ");
        assertThat(scrape).containsPattern("(?m)^jvm_memory_used_bytes\\{area=\"heap\".*} [1-9]");
    }
}
