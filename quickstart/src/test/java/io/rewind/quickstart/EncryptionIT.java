package io.rewind.quickstart;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.rewind.archive.ArchiveLayout;
import io.rewind.archive.location.Storages;
import io.rewind.archiver.Archiver;
import io.rewind.archiver.ArchiverConfig;
import io.rewind.devstack.DevStack;
import io.rewind.devstack.S3Server;
import io.rewind.devstack.Tsd;
import io.rewind.devstack.TsdClient;
import io.rewind.devstack.junit.DevStackExtension;
import io.rewind.devstack.process.Await;
import io.rewind.cli.RewindCli;
import io.rewind.service.TimeArgs;
import io.rewind.service.config.Settings;
import io.rewind.tap.Tap;
import io.rewind.tap.config.TapConfig;
import java.io.PrintWriter;
import java.io.RandomAccessFile;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * An encrypted archive, written by real archivers on the dev stack into a local directory and into S3: restored with the
 * keyset it equals what was written; without the keyset the restore is one clear error naming the key; after a key
 * rotation both generations restore, and the older keyset names the key it lacks; a flipped byte is named by verify,
 * with the keyset and without it.
 */
@ExtendWith(DevStackExtension.class)
class EncryptionIT {
    private static final long T0 = 1_763_726_400_000L;
    private static final String METRIC = "enc.it";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void anEncryptedArchiveRestoresWithItsKeysetOnlyAcrossARotation(DevStack stack) throws Exception {
        S3Server s3 = stack.s3();
        s3.useInThisJvm();
        String topic = "enc-it";
        stack.kafka().createTopic(topic, 2, Map.of());
        Path keyset = dir.resolve("keys").resolve("keyset.json");
        CliRun created = CliRun.run("keys", "create", "--keyset", keyset.toString());
        assertThat(created.exit()).as(created.out()).isZero();
        Path local = dir.resolve("archive");
        String remote = s3.bucket("encrypted", "rewind");

        TsdData first;
        try (Tap tap = Tap.start(TapConfig.of(TapConfig.localSettings(stack.kafka().bootstrapServers(), topic, dir.resolve("spool"), "")))) {
            TsdClient client = new TsdClient("127.0.0.1", tap.port());
            first = put(client, 0, 20);
            archive(stack, topic, local.toString(), keyset, "enc-local", first.points());
            archive(stack, topic, remote, keyset, "enc-s3", first.points());

            // The stored files say nothing of what they hold.
            try (Stream<Path> files = Files.walk(local)) {
                List<Path> data = files.filter(f -> ArchiveLayout.parse(local.relativize(f).toString()).isPresent()).toList();
                assertThat(data).isNotEmpty().allSatisfy(f -> assertThat(new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1))
                        .startsWith("RWE1").doesNotContain(METRIC).doesNotContain("avro.schema"));
            }
            for (String archive : List.of(local.toString(), remote)) {
                Tsd target = stack.tsd("enc-" + (archive.equals(remote) ? "s3" : "local"), Map.of());
                CliRun restore = restore(archive, target, "--keyset", keyset.toString(), "--verify");
                assertThat(restore.exit()).as(restore.out()).isZero();
                assertThat(TsdData.query(TsdClient.of(target), List.of(METRIC), T0, T0 + 3_600_000)).isEqualTo(first);
            }
            int firstKey = JSON.readTree(Files.readString(keyset)).path("primaryKeyId").asInt();
            CliRun withoutKeys = restore(local.toString(), stack.tsd("enc-local"));
            assertThat(withoutKeys.exit()).as(withoutKeys.out()).isEqualTo(RewindCli.FAILED);
            assertThat(withoutKeys.out()).contains("is encrypted with key " + firstKey + ": give the keyset that holds it")
                    .doesNotContain("Exception").hasLineCount(1);

            // Rotation: the archiver restarted on the rotated keyset writes with the new key; both generations restore.
            Path older = dir.resolve("older-keyset.json");
            Files.copy(keyset, older);
            // A copy takes the default mode: the keyset must be its owner's alone, or it is refused.
            Files.setPosixFilePermissions(older, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
            CliRun rotated = CliRun.run("keys", "rotate", "--keyset", keyset.toString());
            assertThat(rotated.exit()).as(rotated.out()).isZero();
            int secondKey = JSON.readTree(Files.readString(keyset)).path("primaryKeyId").asInt();
            assertThat(secondKey).isNotEqualTo(firstKey);
            TsdData second = put(client, 20, 40);
            TsdData both = first.overlay(second);
            archive(stack, topic, local.toString(), keyset, "enc-local", second.points());
            Tsd rotatedTarget = stack.tsd("enc-rotated", Map.of());
            CliRun all = restore(local.toString(), rotatedTarget, "--keyset", keyset.toString(), "--verify");
            assertThat(all.exit()).as(all.out()).isZero();
            assertThat(TsdData.query(TsdClient.of(rotatedTarget), List.of(METRIC), T0, T0 + 3_600_000)).isEqualTo(both);
            CliRun old = restore(local.toString(), rotatedTarget, "--keyset", older.toString());
            assertThat(old.exit()).as(old.out()).isEqualTo(RewindCli.FAILED);
            assertThat(old.out()).contains("is encrypted with key " + secondKey + ", which the keyset " + older + " does not hold");
        }

        // A flipped byte: named by verify with the keyset (the file is one authenticated segment, so its header does not
        // decrypt), and by its checksum without it.
        Path victim;
        try (Stream<Path> files = Files.walk(local)) {
            victim = files.filter(f -> ArchiveLayout.parse(local.relativize(f).toString()).isPresent()).findFirst().orElseThrow();
        }
        try (RandomAccessFile file = new RandomAccessFile(victim.toFile(), "rw")) {
            file.seek(file.length() / 2);
            int b = file.read();
            file.seek(file.length() / 2);
            file.write(b ^ 0x04);
        }
        String name = local.relativize(victim).toString();
        CliRun keyed = CliRun.run("verify", "--archive", local.toString(), "--topic", topic, "--keyset", keyset.toString());
        assertThat(keyed.exit()).as(keyed.out()).isEqualTo(RewindCli.PROBLEMS);
        assertThat(keyed.out()).contains("PROBLEM " + name + ": ").contains("decryption failed");
        CliRun unkeyed = CliRun.run("verify", "--archive", local.toString(), "--topic", topic);
        assertThat(unkeyed.exit()).as(unkeyed.out()).isEqualTo(RewindCli.PROBLEMS);
        assertThat(unkeyed.out()).contains("PROBLEM " + name + ": SHA-256").contains("their contents were not (no keyset");
        CliRun s3Unkeyed = CliRun.run("verify", "--archive", remote, "--topic", topic);
        assertThat(s3Unkeyed.exit()).as(s3Unkeyed.out()).isZero();
        assertThat(s3Unkeyed.out()).contains("no problem; the checksums of").contains("encrypted file(s) were checked, their contents were not");
    }

    /** Points {@code [first, last)} of two hosts through the tap, every 10 s from T0, acknowledged once Kafka has them. */
    private static TsdData put(TsdClient tap, int first, int last) {
        StringBuilder body = new StringBuilder("[");
        Map<TsdData.Series, Map<Long, JsonNode>> expected = new TreeMap<>();
        for (String host : List.of("a", "b")) {
            Map<Long, JsonNode> points = new TreeMap<>();
            for (int i = first; i < last; i++) {
                long ts = T0 + i * 10_000L;
                body.append(body.length() == 1 ? "" : ",").append("{\"metric\":\"").append(METRIC).append("\",\"timestamp\":").append(ts)
                        .append(",\"value\":").append(i).append(",\"tags\":{\"host\":\"").append(host).append("\"}}");
                points.put(ts, JSON.getNodeFactory().numberNode(i));
            }
            expected.put(new TsdData.Series(METRIC, Map.of("host", host)), points);
        }
        TsdClient.Response response = tap.post("/api/put", body + "]", false);
        assertThat(response.status()).as(response.body()).isIn(200, 204);
        return new TsdData(expected);
    }

    /** Runs an archiver with the keyset until it has archived the {@code points} written since its last run, then stops it. */
    private void archive(DevStack stack, String topic, String storage, Path keyset, String id, long points) throws Exception {
        Map<String, String> settings = Pipeline.archiverSettings(stack.kafka().bootstrapServers(), storage, dir.resolve("state-" + id),
                Duration.ofSeconds(1));
        settings.put("topic", topic);
        settings.put("application.id", id);
        settings.put("keyset", keyset.toString());
        ArchiverConfig config = ArchiverConfig.from(Settings.fromMap("archiver", settings));
        PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        try (Archiver archiver = Archiver.start(config, Storages.open(config.storage(), config.keyset()), metrics)) {
            Await.until(id + " to archive the points", Duration.ofMinutes(2), () -> { },
                    () -> metrics.get("rewind.archiver.points.archived").counter().count() >= points);
        }
    }

    private CliRun restore(String archive, Tsd target, String... more) {
        List<String> args = new ArrayList<>(List.of("restore", "--archive", archive, "--topic", "enc-it", "--from", TimeArgs.format(T0),
                "--to", TimeArgs.format(T0 + 3_600_000), "--target", target.httpUrl().toString(), "--rejects",
                dir.resolve("rejects-" + System.nanoTime() + ".jsonl").toString()));
        args.addAll(List.of(more));
        return CliRun.run(args);
    }
}
