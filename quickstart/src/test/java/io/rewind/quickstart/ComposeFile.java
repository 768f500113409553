package io.rewind.quickstart;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** docker-compose.yml as its tests read it, from the repository's root (the tests run in this module's directory). */
final class ComposeFile {
    static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    private final JsonNode file;

    private ComposeFile(JsonNode file) {
        this.file = file;
    }

    static ComposeFile read() {
        try {
            JsonNode file = new YAMLMapper().readTree(ROOT.resolve("docker-compose.yml").toFile());
            assertThat(file.path("services").isObject()).as("docker-compose.yml has services").isTrue();
            return new ComposeFile(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    JsonNode services() {
        return file.path("services");
    }

    JsonNode service(String name) {
        return services().path(name);
    }

    /** The named volumes the file declares (top-level {@code volumes}). */
    List<String> namedVolumes() {
        List<String> out = new ArrayList<>();
        file.path("volumes").fieldNames().forEachRemaining(out::add);
        return out;
    }

    Map<String, String> environment(String service) {
        JsonNode env = service(service).path("environment");
        assertThat(env.isObject()).as(service + "'s environment is a map").isTrue();
        Map<String, String> out = new LinkedHashMap<>();
        env.fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().asText()));
        return out;
    }

    /** A service's volumes, short syntax: mount path to source (a named volume or a host path). */
    Map<String, String> volumes(String service) {
        Map<String, String> out = new LinkedHashMap<>();
        service(service).path("volumes").forEach(v -> {
            String[] parts = v.asText().split(":");
            out.put(parts[1], parts[0]);
        });
        return out;
    }
}
