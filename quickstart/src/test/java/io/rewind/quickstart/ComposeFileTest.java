package io.rewind.quickstart;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.rewind.archive.storage.s3.S3Config;
import io.rewind.archiver.ArchiverConfig;
import io.rewind.service.config.Settings;
import io.rewind.tap.config.TapConfig;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * No Docker engine runs where the tests run, so this test holds docker-compose.yml to what the
 * components accept: every setting of the tap and the archiver is one they know, with a valid value
 * (read the way they read their environment), the same keys as the quickstart's, and every address
 * names a service of the file that listens there. The image's launcher starts classes that exist.
 */
class ComposeFileTest {
    private static final Path ROOT = ComposeFile.ROOT;
    private static ComposeFile compose;
    private static JsonNode services;

    @BeforeAll
    static void readTheComposeFile() {
        compose = ComposeFile.read();
        services = compose.services();
    }

    @Test
    void prometheusScrapesTheTapAndTheArchiverAtTheirAdminPortsAndGrafanaHasTheDashboard() throws IOException {
        JsonNode scrape = new YAMLMapper().readTree(ROOT.resolve("monitoring/prometheus/prometheus.yml").toFile());
        java.util.Map<String, String> targets = new java.util.TreeMap<>();
        scrape.path("scrape_configs").forEach(job -> targets.put(job.path("job_name").asText(),
                job.path("static_configs").get(0).path("targets").get(0).asText()));
        assertThat(targets).containsEntry("rewind-tap", "tap:" + services.path("tap").path("environment").path("REWIND_TAP_ADMIN_PORT").asText())
                .containsEntry("rewind-archiver", "archiver:" + services.path("archiver").path("environment").path("REWIND_ARCHIVER_ADMIN_PORT").asText());
        java.util.List<String> mounts = new java.util.ArrayList<>();
        services.path("prometheus").path("volumes").forEach(v -> mounts.add(v.asText()));
        services.path("grafana").path("volumes").forEach(v -> mounts.add(v.asText()));
        assertThat(mounts).allSatisfy(mount -> assertThat(ROOT.resolve(mount.substring(2, mount.indexOf(':')))).as(mount).exists());
        assertThat(String.join(" ", mounts)).contains("rewind-alerts.yml").contains("rewind.json").contains("provisioning");
        assertThat(scrape.path("rule_files").get(0).asText()).isEqualTo("/etc/prometheus/rewind-alerts.yml");
    }

    @Test
    void theDrillRunsEveryHourOnTheArchiversStorageIntoTheTsdAndPrometheusScrapesIt() throws IOException {
        List<String> command = new java.util.ArrayList<>();
        services.path("drill").path("command").forEach(word -> command.add(word.asText().replace("$$", "$")));
        assertThat(command.get(0)).isEqualTo("drill");
        // The command line as the container runs it: every option exists and takes its value.
        var parsed = io.rewind.cli.RewindCli.commandLine().parseArgs(command.toArray(String[]::new)).subcommand();
        assertThat(parsed.matchedOptionValue("--archive", "")).isEqualTo(environment("archiver").get("REWIND_ARCHIVER_STORAGE"));
        assertListens("opentsdb", java.net.URI.create(parsed.matchedOptionValue("--target", List.<java.net.URI>of()).get(0).toString())
                .getAuthority(), 4242);
        assertThat(parsed.matchedOptionValue("--every", "")).isEqualTo("1h");
        JsonNode scrape = new YAMLMapper().readTree(ROOT.resolve("monitoring/prometheus/prometheus.yml").toFile());
        List<String> drillTargets = new java.util.ArrayList<>();
        scrape.path("scrape_configs").forEach(job -> {
            if (job.path("job_name").asText().equals("rewind-drill")) {
                drillTargets.add(job.path("static_configs").get(0).path("targets").get(0).asText());
            }
        });
        assertThat(drillTargets).containsExactly("drill:" + parsed.matchedOptionValue("--admin-port", 0));
        assertThat(environment("drill")).containsAllEntriesOf(Map.of("AWS_ACCESS_KEY_ID", environment("archiver").get("AWS_ACCESS_KEY_ID"),
                "AWS_SECRET_ACCESS_KEY", environment("archiver").get("AWS_SECRET_ACCESS_KEY")));
    }

    @Test
    void everyDependencyIsAServiceOfTheFile() {
        services.fields().forEachRemaining(service -> service.getValue().path("depends_on").fieldNames()
                .forEachRemaining(dependency -> assertThat(services.has(dependency)).as(service.getKey() + " depends on " + dependency).isTrue()));
    }

    @Test
    void theTapAcceptsItsSettingsWhichAreTheQuickstartsInTheSchemaRegistryFormat() {
        Map<String, String> env = environment("tap");
        Settings settings = Settings.load("tap", "REWIND_TAP_", env, List.of());
        assertThatCode(() -> TapConfig.from(settings)).doesNotThrowAnyException();

        Map<String, String> keys = keys(env, "REWIND_TAP_");
        assertThat(keys).containsKeys(Pipeline.tapSettings("kafka:9092", "tsd:4242", Path.of("/spool")).keySet().toArray(String[]::new));
        assertThat(keys.get("listen.host")).isEqualTo("0.0.0.0");
        assertThat(published("tap")).as("the tap takes the TSD's port").contains(keys.get("listen.port") + ":" + keys.get("listen.port"))
                .contains("4242:4242");
        assertListens("opentsdb", keys.get("upstreams"), 4242);
        assertKafka(keys.get("bootstrap.servers"));
        assertSchemaRegistry(keys.get("schema.registry.url"));
        assertThat(volumeTargets("tap")).contains(keys.get("spool.dir"));
    }

    @Test
    void theArchiverAcceptsItsSettingsWhichAreTheQuickstartsWithS3AndTheSchemaRegistry() {
        Map<String, String> env = environment("archiver");
        Settings settings = Settings.load("archiver", "REWIND_ARCHIVER_", env, List.of());
        assertThatCode(() -> ArchiverConfig.from(settings)).doesNotThrowAnyException();

        Map<String, String> keys = keys(env, "REWIND_ARCHIVER_");
        assertThat(keys).containsKeys(Pipeline.archiverSettings("kafka:9092", "/archive", Path.of("/state"), Duration.ofSeconds(30))
                .keySet().toArray(String[]::new));
        assertKafka(keys.get("bootstrap.servers"));
        assertSchemaRegistry(keys.get("schema.registry.url"));
        assertThat(volumeTargets("archiver")).contains(keys.get("state.dir"));

        S3Config s3 = S3Config.fromUri(URI.create(keys.get("storage")));
        assertThat(s3.pathStyle()).isTrue();
        assertListens("s3", s3.endpoint().orElseThrow().getAuthority(), 9000);
        String init = services.path("s3-init").path("entrypoint").toString();
        assertThat(init).as("s3-init creates the archive's bucket").contains("mb --ignore-existing rewind/" + s3.bucket());
        assertThat(env.get("AWS_ACCESS_KEY_ID")).isEqualTo(environment("s3").get("MINIO_ROOT_USER"));
        assertThat(env.get("AWS_SECRET_ACCESS_KEY")).isEqualTo(environment("s3").get("MINIO_ROOT_PASSWORD"));
    }

    @Test
    void theKafkaImageIsTheVersionRewindIsBuiltWithAndThePointsTopicIsCreated() throws IOException {
        Matcher version = Pattern.compile("<kafka.version>([^<]+)</kafka.version>").matcher(Files.readString(ROOT.resolve("pom.xml")));
        assertThat(version.find()).isTrue();
        assertThat(services.path("kafka").path("image").asText()).isEqualTo("apache/kafka:" + version.group(1));
        assertThat(services.path("kafka-init").path("command").toString()).contains("--topic " + Pipeline.TOPIC + " ");
    }

    @Test
    void theComponentsAreBuiltFromThisRepositoryAndTheirCommandsStartClassesThatExist() throws Exception {
        Path dockerfile = ROOT.resolve("Dockerfile");
        assertThat(dockerfile).exists();
        Matcher modules = Pattern.compile("-pl ([\\w,-]+)").matcher(Files.readString(dockerfile));
        assertThat(modules.find()).isTrue();
        for (String module : modules.group(1).split(",")) {
            assertThat(ROOT.resolve(module).resolve("pom.xml")).as("module " + module + " of the Dockerfile").exists();
        }
        String launcher = Files.readString(ROOT.resolve("docker").resolve("rewind"));
        Map<String, String> verbs = new LinkedHashMap<>();
        Matcher verb = Pattern.compile("(?m)^\\s*(\\w+|\\*)\\).*? (io\\.rewind\\.[\\w.]+)").matcher(launcher);
        while (verb.find()) {
            verbs.put(verb.group(1), verb.group(2));
        }
        assertThat(verbs).containsKeys("tap", "archiver", "*");
        for (String main : verbs.values()) {
            assertThat(Class.forName(main).getMethod("main", String[].class)).as(main).isNotNull();
        }
        for (String component : List.of("tap", "archiver")) {
            assertThat(services.path(component).path("build").asText()).isEqualTo(".");
            assertThat(services.path(component).path("command").get(0).asText()).isEqualTo(component);
        }
    }

    private static Map<String, String> environment(String service) {
        return compose.environment(service);
    }

    /** The settings as the component reads them from its environment. */
    private static Map<String, String> keys(Map<String, String> env, String prefix) {
        Map<String, String> out = new LinkedHashMap<>();
        env.forEach((name, value) -> {
            if (name.startsWith(prefix)) {
                out.put(Settings.environmentKey(prefix, name), value);
            }
        });
        return out;
    }

    private static List<String> published(String service) {
        List<String> out = new ArrayList<>();
        services.path(service).path("ports").forEach(p -> out.add(p.asText()));
        return out;
    }

    private static List<String> volumeTargets(String service) {
        return List.copyOf(compose.volumes(service).keySet());
    }

    private static void assertListens(String service, String hostPort, int port) {
        assertThat(services.has(service)).as("service " + service).isTrue();
        assertThat(hostPort).isEqualTo(service + ":" + port);
    }

    private static void assertKafka(String bootstrap) {
        assertListens("kafka", bootstrap, 9092);
        assertThat(environment("kafka").get("KAFKA_ADVERTISED_LISTENERS")).contains("://" + bootstrap);
    }

    private static void assertSchemaRegistry(String url) {
        assertThat(url).as("the Schema Registry wire format is on").isNotBlank();
        URI uri = URI.create(url);
        assertListens("schema-registry", uri.getAuthority(), 8081);
        assertThat(environment("schema-registry").get("SCHEMA_REGISTRY_LISTENERS")).endsWith(":" + uri.getPort());
    }
}
