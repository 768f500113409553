package io.rewind.quickstart;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
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
        Optional<Path> promtool = Stream.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
                .map(d -> Path.of(d, "promtool")).filter(Files::isExecutable).findFirst();
        Assumptions.assumeTrue(promtool.isPresent(), "promtool is not installed (Debian: apt-get install prometheus): the alert rules"
                + " were not checked by Prometheus");
        Process check = new ProcessBuilder(promtool.get().toString(), "check", "rules", RULES.toString()).redirectErrorStream(true).start();
        String output = new String(check.getInputStream().readAllBytes());
        assertThat(check.waitFor()).as(output).isZero();
        assertThat(output).contains("SUCCESS");
    }
}
