package io.rewind.quickstart;

import static org.assertj.core.api.Assertions.assertThat;

import io.rewind.devstack.junit.Programs;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The alert rules of {@code monitoring/} as Prometheus reads them, with its own {@code promtool}. Without Debian's
 * {@code prometheus} package the test is reported as skipped, not passed; {@code .ci/run} installs it.
 */
class AlertRulesTest {
    private static final Path RULES = Path.of(System.getProperty("user.dir")).toAbsolutePath().getParent()
            .resolve("monitoring/prometheus/rewind-alerts.yml");

    @Test
    void theAlertRulesPassPromtool() throws Exception {
        Path promtool = Programs.requireOrSkip("promtool", "the alert rules were not checked by Prometheus (Debian: apt-get install"
                + " prometheus)");
        Process check = new ProcessBuilder(promtool.toString(), "check", "rules", RULES.toString()).redirectErrorStream(true).start();
        String output = new String(check.getInputStream().readAllBytes());
        assertThat(check.waitFor()).as(output).isZero();
        assertThat(output).contains("SUCCESS");
    }
}
