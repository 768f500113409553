package io.rewind.quickstart;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.rewind.devstack.ServerClasses;
import java.io.IOException;
import java.io.StringReader;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What can be known of docker-compose.yml and the images it builds without a Docker engine: every image is pinned,
 * every health check runs a command its image holds, Kafka's topics and the tap's spool live on volumes, each
 * service is given the time it needs to stop cleanly, the topics are created with the settings Rewind relies on, and
 * the OpenTSDB image starts the servers the dev stack starts, from the same jars.
 */
class DeployFilesTest {
    private static final Path ROOT = ComposeFile.ROOT;
    /**
     * What the third-party images hold, for their health checks and one-off commands: paths known in those images
     * (apache/kafka: Kafka's scripts under /opt/kafka/bin; Confluent's images: curl; MinIO's server image ships its
     * client, mc, and no curl). A new command for one of them must be added here, after checking the image.
     */
    private static final Map<String, Set<String>> THIRD_PARTY_COMMANDS = Map.of(
            "apache/kafka", Set.of("/opt/kafka/bin/kafka-broker-api-versions.sh", "/opt/kafka/bin/kafka-topics.sh", "/bin/sh"),
            "confluentinc/cp-schema-registry", Set.of("curl"),
            "minio/minio", Set.of("mc"),
            "minio/mc", Set.of("mc", "/bin/sh"));
    /** What every image built here has from its base (eclipse-temurin, on Ubuntu). */
    private static final Set<String> TEMURIN_COMMANDS = Set.of("java", "bash", "sh", "/bin/sh");
    private static final List<Path> DOCKERFILES = List.of(ROOT.resolve("Dockerfile"), ROOT.resolve("docker/opentsdb/Dockerfile"));

    private static ComposeFile compose;

    @BeforeAll
    static void readTheComposeFile() {
        compose = ComposeFile.read();
    }

    @Test
    void everyImageIsPinnedToARelease() throws IOException {
        List<String> images = new ArrayList<>();
        compose.services().fields().forEachRemaining(service -> {
            assertThat(service.getValue().has("image")).as(service.getKey() + " names its image (and tag, when built here)").isTrue();
            images.add(service.getValue().path("image").asText());
        });
        for (Path dockerfile : DOCKERFILES) {
            Matcher from = Pattern.compile("(?m)^FROM (\\S+)").matcher(Files.readString(dockerfile));
            while (from.find()) {
                images.add(from.group(1));
            }
        }
        assertThat(images).allSatisfy(image -> {
            String tag = tag(image);
            assertThat(tag).as(image + " has a tag").isNotEmpty();
            assertThat(tag).as(image).isNotEqualToIgnoringCase("latest");
            if (image.startsWith("minio/")) {
                assertThat(tag).as("MinIO's tags are dated releases").matches("RELEASE\\.\\d{4}-\\d{2}-\\d{2}T\\d{2}-\\d{2}-\\d{2}Z");
            }
        });
    }

    @Test
    void everyHealthCheckRunsACommandItsImageHolds() throws IOException {
        Map<String, String> checked = new LinkedHashMap<>();
        for (var service : fields(compose.services())) {
            JsonNode test = service.getValue().path("healthcheck").path("test");
            if (test.isMissingNode()) {
                continue;
            }
            String program = program(test);
            checked.put(service.getKey(), program);
            if (service.getValue().has("build")) {
                Path dockerfile = dockerfile(service.getValue());
                String finalStage = finalStage(Files.readString(dockerfile));
                assertThat(TEMURIN_COMMANDS.contains(program) || installs(finalStage, program))
                        .as(service.getKey() + "'s health check runs " + program + ": " + dockerfile + " installs it or its base has it").isTrue();
                assertThat(finalStage).as(dockerfile + "'s base").contains("FROM eclipse-temurin:");
            } else {
                String image = service.getValue().path("image").asText();
                assertThat(THIRD_PARTY_COMMANDS.get(repository(image))).as(service.getKey() + ": what " + image + " holds").isNotNull()
                        .as(service.getKey() + "'s health check runs " + program + ", known in " + image).contains(program);
            }
        }
        assertThat(checked).containsKeys("kafka", "schema-registry", "opentsdb", "s3", "tap", "archiver", "drill");
        for (String oneOff : List.of("kafka-init", "s3-init")) {
            JsonNode service = compose.service(oneOff);
            String program = service.has("entrypoint") ? service.path("entrypoint").get(0).asText() : service.path("command").get(0).asText();
            assertThat(THIRD_PARTY_COMMANDS.get(repository(service.path("image").asText()))).as(oneOff).contains(program);
        }
    }

    @Test
    void theRewindHealthChecksAskTheAdminPortsAndTheTsdsCheckItsPort() throws IOException {
        assertThat(healthCheckPort("tap")).isEqualTo(compose.environment("tap").get("REWIND_TAP_ADMIN_PORT"));
        assertThat(healthCheckPort("archiver")).isEqualTo(compose.environment("archiver").get("REWIND_ARCHIVER_ADMIN_PORT"));
        List<String> drill = new ArrayList<>();
        compose.service("drill").path("command").forEach(word -> drill.add(word.asText()));
        assertThat(healthCheckPort("drill")).isEqualTo(drill.get(drill.indexOf("--admin-port") + 1));
        for (String service : List.of("tap", "archiver", "drill")) {
            assertThat(compose.service(service).path("healthcheck").path("test").toString()).as(service).contains("/healthz");
        }
        Properties tsd = new Properties();
        tsd.load(new StringReader(Files.readString(ROOT.resolve("docker/opentsdb/opentsdb.conf"))));
        assertThat(healthCheckPort("opentsdb")).isEqualTo(tsd.getProperty("tsd.network.port"));
    }

    @Test
    void kafkaKeepsItsTopicsOnItsVolume() {
        String logDirs = compose.environment("kafka").get("KAFKA_LOG_DIRS");
        assertThat(logDirs).as("the image's default, /tmp/kraft-combined-logs, is outside the volume").isNotBlank();
        assertThat(compose.volumes("kafka")).containsKey(logDirs);
        assertThat(compose.namedVolumes()).contains(compose.volumes("kafka").get(logDirs));
    }

    @Test
    void theTapsSpoolIsOnANamedVolume() {
        String spool = compose.environment("tap").get("REWIND_TAP_SPOOL_DIR");
        assertThat(compose.volumes("tap")).as("the spool is mounted").containsKey(spool);
        assertThat(compose.namedVolumes()).as("a named volume, kept with the stack").contains(compose.volumes("tap").get(spool));
        assertThat(compose.service("tap").has("tmpfs")).as("nothing of the tap on a tmpfs").isFalse();
    }

    @Test
    void eachServiceIsGivenTheTimeToStopCleanly() {
        // The tap drains its producer and spool to Kafka (up to ~2 minutes with Kafka away); the archiver commits what
        // it buffers; the TSD flushes into HBase and HBase its memstores.
        Map<String, Duration> needs = Map.of("tap", Duration.ofSeconds(150), "archiver", Duration.ofSeconds(60),
                "opentsdb", Duration.ofSeconds(60));
        needs.forEach((service, need) -> {
            String given = compose.service(service).path("stop_grace_period").asText();
            assertThat(given).as(service + " has a stop_grace_period").isNotEmpty();
            assertThat(Duration.parse("PT" + given.toUpperCase(Locale.ROOT))).as(service).isGreaterThanOrEqualTo(need);
        });
    }

    @Test
    void thePointsTopicOutlivesAnArchiverOutageAndTheGapsTopicIsCompacted() {
        Map<String, Map<String, String>> topics = createdTopics();
        assertThat(topics).containsKeys(Pipeline.TOPIC, Pipeline.TOPIC + "-gaps");
        Map<String, String> points = topics.get(Pipeline.TOPIC);
        assertThat(Duration.ofMillis(Long.parseLong(points.get("retention.ms")))).as("retention.ms of the points topic")
                .isGreaterThanOrEqualTo(Duration.ofDays(1));
        for (Map<String, String> topic : topics.values()) {
            int minIsr = Integer.parseInt(topic.get("min.insync.replicas"));
            assertThat(minIsr).as("min.insync.replicas: set, and no more than the replicas").isBetween(1,
                    Integer.parseInt(topic.get("--replication-factor")));
        }
        assertThat(topics.get(Pipeline.TOPIC + "-gaps")).containsEntry("cleanup.policy", "compact");
    }

    @Test
    void theOpenTsdbImageStartsTheDevStacksServersFromTheSameJarsOnItsVolume() throws Exception {
        JsonNode opentsdb = compose.service("opentsdb");
        Path dockerfile = dockerfile(opentsdb);
        String build = Files.readString(dockerfile);
        Matcher modules = Pattern.compile("-pl ([\\w,/-]+)").matcher(build);
        assertThat(modules.find()).isTrue();
        assertThat(modules.group(1).split(",")).containsExactlyInAnyOrder("dev-stack/runtimes/hbase", "dev-stack/runtimes/opentsdb");
        Matcher copied = Pattern.compile("(?m)^COPY (?!--from)(.+) /opt/\\S+$").matcher(build);
        while (copied.find()) {
            for (String file : copied.group(1).trim().split("\\s+")) {
                assertThat(ROOT.resolve(file)).as("copied into the image").exists();
            }
        }
        String start = Files.readString(ROOT.resolve("docker/opentsdb/start-tsd"));
        Map<String, String> mains = Map.of("org.apache.hadoop.hbase.master.HMaster", "hbase", "io.rewind.devstack.hbase.CreateTsdTables", "hbase",
                "net.opentsdb.tools.TSDMain", "opentsdb");
        for (var main : mains.entrySet()) {
            assertThat(start).contains(main.getKey());
            try (URLClassLoader server = ServerClasses.loader(main.getValue())) {
                assertThat(server.loadClass(main.getKey()).getMethod("main", String[].class)).as(main.getKey()).isNotNull();
            }
        }
        String volume = compose.volumes("opentsdb").entrySet().stream().filter(v -> compose.namedVolumes().contains(v.getValue()))
                .map(Map.Entry::getKey).findFirst().orElseThrow();
        String site = Files.readString(ROOT.resolve("docker/opentsdb/hbase-site.xml"));
        for (String key : List.of("hbase.rootdir", "hbase.zookeeper.property.dataDir")) {
            Matcher value = Pattern.compile("<name>" + Pattern.quote(key) + "</name><value>([^<]+)</value>").matcher(site);
            assertThat(value.find()).as(key).isTrue();
            assertThat(value.group(1).replaceFirst("^file://", "")).as(key + " on the volume").startsWith(volume + "/");
        }
        assertThat(build).contains("VOLUME [\"" + volume + "\"]");
    }

    /** Each topic kafka-init creates: its flags and --config settings. */
    private static Map<String, Map<String, String>> createdTopics() {
        StringBuilder script = new StringBuilder();
        compose.service("kafka-init").path("command").forEach(word -> script.append(word.asText()).append(' '));
        Map<String, Map<String, String>> topics = new LinkedHashMap<>();
        for (String command : script.toString().split("&&")) {
            List<String> words = List.of(command.trim().split("\\s+"));
            assertThat(words).contains("--create", "--if-not-exists");
            Map<String, String> settings = new LinkedHashMap<>();
            for (int i = 0; i + 1 < words.size(); i++) {
                if (words.get(i).equals("--config")) {
                    String[] setting = words.get(i + 1).split("=", 2);
                    settings.put(setting[0], setting[1]);
                } else if (words.get(i).startsWith("--")) {
                    settings.put(words.get(i), words.get(i + 1));
                }
            }
            topics.put(settings.get("--topic"), settings);
        }
        return topics;
    }

    private static String healthCheckPort(String service) {
        Matcher port = Pattern.compile("localhost:(\\d+)").matcher(compose.service(service).path("healthcheck").path("test").toString());
        assertThat(port.find()).as(service + "'s health check asks localhost").isTrue();
        return port.group(1);
    }

    /** The program a health check runs: CMD's first word, or CMD-SHELL's command's. */
    private static String program(JsonNode test) {
        String kind = test.get(0).asText();
        assertThat(kind).isIn("CMD", "CMD-SHELL");
        return kind.equals("CMD") ? test.get(1).asText() : test.get(1).asText().trim().split("\\s+")[0];
    }

    private static Path dockerfile(JsonNode service) {
        JsonNode build = service.path("build");
        if (build.isTextual()) {
            return ROOT.resolve(build.asText()).resolve("Dockerfile").normalize();
        }
        return ROOT.resolve(build.path("context").asText(".")).resolve(build.path("dockerfile").asText("Dockerfile")).normalize();
    }

    /** The Dockerfile's last stage, the image that runs. */
    private static String finalStage(String dockerfile) {
        return dockerfile.substring(dockerfile.lastIndexOf("\nFROM ") + 1);
    }

    /** Whether a stage installs the program with apt-get (Debian's package of that name puts it on the PATH). */
    private static boolean installs(String stage, String program) {
        return Pattern.compile("apt-get install[^\\n]*\\s" + Pattern.quote(program) + "(\\s|$)").matcher(stage).find();
    }

    private static String repository(String image) {
        int colon = image.lastIndexOf(':');
        return colon > image.lastIndexOf('/') ? image.substring(0, colon) : image;
    }

    private static String tag(String image) {
        String repository = repository(image);
        return repository.length() == image.length() ? "" : image.substring(repository.length() + 1);
    }

    private static List<Map.Entry<String, JsonNode>> fields(JsonNode node) {
        List<Map.Entry<String, JsonNode>> out = new ArrayList<>();
        node.fields().forEachRemaining(out::add);
        return out;
    }
}
