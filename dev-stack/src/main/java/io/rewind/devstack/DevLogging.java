package io.rewind.devstack;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Logback configurations for the servers that log through logback (Kafka, OpenTSDB): warnings and
 * above to standard output, which the dev stack writes to the server's log file, plus the few
 * loggers whose INFO lines say when the server is up.
 */
final class DevLogging {
    private DevLogging() {
    }

    static Path write(Path dir, String server, Map<String, String> levels) {
        StringBuilder xml = new StringBuilder("""
                <configuration>
                  <appender name="OUT" class="ch.qos.logback.core.ConsoleAppender">
                    <encoder><pattern>%d{HH:mm:ss.SSS} %-5level [%thread] %logger{36} - %msg%n</pattern></encoder>
                  </appender>
                """);
        levels.forEach((logger, level) -> xml.append("  <logger name=\"").append(logger)
                .append("\" level=\"").append(level).append("\"/>\n"));
        xml.append("  <root level=\"WARN\"><appender-ref ref=\"OUT\"/></root>\n</configuration>\n");
        Path file = dir.resolve(server + "-logback.xml");
        try {
            Files.createDirectories(dir);
            Files.writeString(file, xml);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return file;
    }
}
