package io.rewind.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.rewind.archive.crypto.ArchiveCipher;
import io.rewind.archive.crypto.Keyset;
import io.rewind.archive.location.Storages;
import io.rewind.archive.segment.SegmentFiles;
import io.rewind.archive.storage.local.LocalStorage;
import io.rewind.restore.TestArchive;
import io.rewind.schema.Point;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Guarantees 9 and 12 as an operator meets them: in an encrypted archive, a plaintext file planted with a matching sidecar,
 * a file copied over another with its sidecar, and a file without sidecar are each refused by verify, export and restore,
 * naming the file, and no point of a refused file reaches the target.
 */
class RefusedFilesTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long W = 1_763_640_000_000L; // a window start
    private static final long HOUR = TestArchive.HOUR;
    private static final int PARTITIONS = 3;

    @TempDir
    Path dir;
    Path archive;
    Path keyset;
    List<Point> points;
    String planted;
    String swapped;
    String unsigned;
    HttpServer tsd;
    final List<JsonNode> received = Collections.synchronizedList(new ArrayList<>());

    @BeforeEach
    void archive() throws Exception {
        keyset = dir.resolve("keyset.json");
        Keyset.createOrRotate(keyset, false);
        points = TestArchive.workload("sec", W, 180, 4);
        archive = build("archive");
        tamper(archive, 0b111);

        tsd = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        tsd.createContext("/api/put", exchange -> {
            try (InputStream body = exchange.getRequestBody()) {
                boolean gzip = "gzip".equalsIgnoreCase(exchange.getRequestHeaders().getFirst("Content-Encoding"));
                JSON.readTree(gzip ? new GZIPInputStream(body) : body).forEach(received::add);
            }
            exchange.sendResponseHeaders(204, -1);
            exchange.close();
        });
        tsd.start();
    }

    @AfterEach
    void stop() {
        tsd.stop(0);
    }

    /** An encrypted archive of three hours in three partitions, and its plaintext twin (the same keys) beside it. */
    private Path build(String name) throws Exception {
        Path root = dir.resolve(name);
        List<String> keys;
        try (LocalStorage local = new LocalStorage(root)) {
            keys = new TestArchive(Storages.withCipher(local, new ArchiveCipher(Keyset.read(keyset))), PARTITIONS)
                    .commit(TestArchive.ingestedAt(points, W + 4 * HOUR));
        }
        try (LocalStorage local = new LocalStorage(dir.resolve(name + "-plain"))) {
            assertThat(new TestArchive(local, PARTITIONS).commit(TestArchive.ingestedAt(points, W + 4 * HOUR))).isEqualTo(keys);
        }
        planted = keys.get(0); // hour 0
        swapped = keys.get(PARTITIONS + 1); // hour 1
        unsigned = keys.get(2 * PARTITIONS + 2); // hour 2
        return root;
    }

    /** Plants a plaintext file (bit 0), copies another hour's file over one (bit 1), deletes a sidecar (bit 2). */
    private void tamper(Path root, int which) throws Exception {
        if ((which & 1) != 0) { // its plaintext twin, with the twin's matching sidecar
            copy(root.resolveSibling(root.getFileName() + "-plain"), planted, root, planted);
        }
        if ((which & 2) != 0) { // the encrypted file of the same partition two hours later, with its sidecar
            copy(root, swapped.replace("hour=13", "hour=14"), root, swapped);
        }
        if ((which & 4) != 0) {
            Files.delete(root.resolve(unsigned + SegmentFiles.SIDECAR_SUFFIX));
        }
    }

    private static void copy(Path fromRoot, String from, Path toRoot, String to) throws Exception {
        Files.copy(fromRoot.resolve(from), toRoot.resolve(to), StandardCopyOption.REPLACE_EXISTING);
        Files.copy(fromRoot.resolve(from + SegmentFiles.SIDECAR_SUFFIX), toRoot.resolve(to + SegmentFiles.SIDECAR_SUFFIX),
                StandardCopyOption.REPLACE_EXISTING);
    }

    @Test
    void verifyNamesEachRefusedFile() {
        CliRun run = CliRun.of("verify", "--archive", archive.toString(), "--keyset", keyset.toString());

        assertThat(run.exitCode()).as(run.out() + run.err()).isEqualTo(RewindCli.PROBLEMS);
        List<String> problems = run.out().lines().filter(l -> l.startsWith("PROBLEM")).toList();
        assertThat(problems).as(run.out()).hasSize(3)
                .anySatisfy(l -> assertThat(l).contains(planted + ": not encrypted"))
                .anySatisfy(l -> assertThat(l).contains(swapped + ": ").contains("decryption failed"))
                .anySatisfy(l -> assertThat(l).contains(unsigned + ": no sidecar"));
    }

    @Test
    void exportAndRestoreRefuseEachFileAndWriteNoneOfItsPoints() throws Exception {
        for (int which = 0; which < 3; which++) {
            Path root = build("case-" + which);
            tamper(root, 1 << which);
            String refused = List.of(planted, swapped, unsigned).get(which);
            long hour = W + HOUR * which;
            String[] range = {"--archive", root.toString(), "--keyset", keyset.toString(), "--from", Long.toString(hour), "--to",
                    Long.toString(hour + HOUR)};
            CliRun export = CliRun.of(concat(range, "export", "--output", dir.resolve("export.txt").toString()));
            received.clear();
            CliRun restore = CliRun.of(concat(range, "restore", "--target", "http://127.0.0.1:" + tsd.getAddress().getPort(),
                    "--rejects", dir.resolve("r-" + which + ".jsonl").toString(), "--parallelism", "1"));

            assertThat(export.exitCode()).as(export.out() + export.err()).isNotZero();
            assertThat(export.err()).contains(refused);
            assertThat(restore.exitCode()).as(restore.out() + restore.err()).isNotZero();
            assertThat(restore.err()).contains(refused);
            int partition = io.rewind.archive.ArchiveLayout.parse(refused).orElseThrow().partition();
            assertThat(received).as("points of %s's series in its hour", refused).noneSatisfy(p -> {
                long t = p.get("timestamp").asLong();
                long ms = t < 10_000_000_000L ? t * 1000 : t;
                Point sent = points.stream().filter(q -> q.getMetric().equals(p.get("metric").asText())
                        && q.getTags().get("host").equals(p.get("tags").get("host").asText())).findFirst().orElseThrow();
                assertThat(ms >= hour && ms < hour + HOUR && TestArchive.partitionOf(sent, PARTITIONS) == partition).isTrue();
            });
        }
        // Allowed by name, the file without sidecar and the plaintext file are read.
        CliRun allowed = CliRun.of("export", "--archive", dir.resolve("case-2").toString(), "--keyset", keyset.toString(),
                "--allow-unchecked", "--from", Long.toString(W + 2 * HOUR), "--to", Long.toString(W + 3 * HOUR), "--output",
                dir.resolve("e.txt").toString());
        assertThat(allowed.exitCode()).as(allowed.out() + allowed.err()).isZero();
        assertThat(Files.readAllLines(dir.resolve("e.txt"))).hasSize((int) points.stream()
                .filter(p -> p.getTimestampMs() >= W + 2 * HOUR && p.getTimestampMs() < W + 3 * HOUR).count());
        CliRun plaintext = CliRun.of("export", "--archive", dir.resolve("case-0").toString(), "--keyset", keyset.toString(),
                "--allow-plaintext", "--from", Long.toString(W), "--to", Long.toString(W + HOUR), "--output",
                dir.resolve("p.txt").toString());
        assertThat(plaintext.exitCode()).as(plaintext.out() + plaintext.err()).isZero();
    }

    @Test
    void aSegmentWhosePublicationDidNotFinishLeavesItsPartsToTheRestoreUnrefused() throws Exception {
        Path root = dir.resolve("crashed");
        List<Point> hour = points.stream().filter(p -> p.getTimestampMs() < W + HOUR).toList();
        String segment;
        try (LocalStorage local = new LocalStorage(root)) {
            TestArchive writer = new TestArchive(local, 1);
            List<String> parts = new ArrayList<>(writer.commit(TestArchive.ingestedAt(hour.subList(0, hour.size() / 2), W + 2 * HOUR)));
            parts.addAll(writer.commit(TestArchive.ingestedAt(hour.subList(hour.size() / 2, hour.size()), W + 3 * HOUR)));
            segment = writer.compact(W, 0, 1, parts);
            local.delete(segment + SegmentFiles.SIDECAR_SUFFIX); // the archiver stopped between the segment and its sidecar
        }

        CliRun export = CliRun.of("export", "--archive", root.toString(), "--from", Long.toString(W), "--to", Long.toString(W + HOUR),
                "--output", dir.resolve("crashed.txt").toString());

        assertThat(export.exitCode()).as(export.out() + export.err()).isZero();
        assertThat(Files.readAllLines(dir.resolve("crashed.txt"))).hasSize(hour.size());
        CliRun verify = CliRun.of("verify", "--archive", root.toString());
        assertThat(verify.out().lines().filter(l -> l.startsWith("PROBLEM"))).singleElement().asString()
                .contains(segment + ": no sidecar");
    }

    private static String[] concat(String[] options, String verb, String... more) {
        List<String> all = new ArrayList<>(List.of(verb));
        all.addAll(List.of(options));
        all.addAll(List.of(more));
        return all.toArray(String[]::new);
    }
}
