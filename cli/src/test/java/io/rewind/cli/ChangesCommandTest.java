package io.rewind.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.rewind.archive.storage.local.LocalStorage;
import io.rewind.restore.TestArchive;
import io.rewind.restore.TestArchive.Ingested;
import io.rewind.schema.TimestampPrecision;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChangesCommandTest {
    private static final long W = 1_764_000_000_000L / TestArchive.HOUR * TestArchive.HOUR;
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    /** The restore `changes` suggests, run with --dry-run, counts the points the suggestion said it would write. */
    @Test
    void theSuggestedRestoreIsOneTheRestoreCommandRunsAsIs() throws Exception {
        Path archive = dir.resolve("archive");
        try (LocalStorage storage = new LocalStorage(archive)) {
            TestArchive writer = new TestArchive(storage, 2);
            List<Ingested> good = new ArrayList<>();
            List<Ingested> bad = new ArrayList<>();
            for (int k = 0; k < 20; k++) {
                for (String host : List.of("web1", "web2")) {
                    long ts = W + k * 10_000L;
                    good.add(new Ingested(TestArchive.point("app.lat", ts, TimestampPrecision.MILLISECONDS, k + 0.5, Map.of("host", host)), ts + 100));
                    bad.add(new Ingested(TestArchive.point("app.lat", ts, TimestampPrecision.MILLISECONDS, -1.0, Map.of("host", host)),
                            W + 10 * 60_000 + k));
                }
            }
            writer.commit(good);
            writer.commit(bad);
        }
        CliRun changes = CliRun.of("changes", "--archive", archive.toString(), "--from", Long.toString(W + 5 * 60_000), "--to",
                Long.toString(W + 20 * 60_000), "--metric", "app.*", "--target", "http://recovery:4242", "--json");
        assertThat(changes.exitCode()).as(changes.err()).isZero();
        JsonNode suggestion = JSON.readTree(changes.out()).path("suggestion");
        assertThat(suggestion.path("asOfMs").asLong()).isEqualTo(W + 10 * 60_000 - 1);
        assertThat(suggestion.path("pointsTotal").asLong()).isEqualTo(40);
        List<String> command = new ArrayList<>();
        suggestion.path("command").forEach(a -> command.add(a.asText()));
        assertThat(command).containsSubsequence("--metric", "app.lat").containsSubsequence("--target", "http://recovery:4242");

        List<String> dryRun = new ArrayList<>(command.subList(0, command.indexOf("--target")));
        dryRun.addAll(List.of("--dry-run", "--json"));
        CliRun restore = CliRun.of(dryRun.toArray(String[]::new));
        assertThat(restore.exitCode()).as(restore.out() + restore.err()).isZero();
        assertThat(restore.out()).contains("\"app.lat\" : 40");

        CliRun text = CliRun.of("changes", "--archive", archive.toString(), "--from", Long.toString(W + 5 * 60_000), "--to",
                Long.toString(W + 20 * 60_000), "--metric", "app.*");
        assertThat(text.out()).contains("Suggested restore").contains("--metric app.lat --target http://TSD:4242 --verify")
                .contains("first rewrite of app.lat").contains("-> -1.0");
    }

    @Test
    void aWrongRangeOrBurstIsAUsageErrorSaidInOneLine() {
        CliRun backwards = CliRun.of("changes", "--archive", dir.toString(), "--from", "2026-12-05T10:00:00Z", "--to", "2026-12-05T09:00:00Z");
        assertThat(backwards.exitCode()).isEqualTo(RewindCli.USAGE);
        assertThat(backwards.err()).isEqualTo("rewind changes: the arrival range is empty: --from is not before --to" + System.lineSeparator());
        CliRun burst = CliRun.of("changes", "--archive", dir.toString(), "--min-burst", "0");
        assertThat(burst.exitCode()).isEqualTo(RewindCli.USAGE);
    }

    @Test
    void anArchiveWithoutRewritesSuggestsNothing() throws Exception {
        Path archive = dir.resolve("quiet");
        try (LocalStorage storage = new LocalStorage(archive)) {
            new TestArchive(storage, 1).commit(List.of(new Ingested(
                    TestArchive.point("m", W, TimestampPrecision.SECONDS, 1L, Map.of("h", "a")), W + 1000)));
        }
        CliRun run = CliRun.of("changes", "--archive", archive.toString(), "--from", Long.toString(W), "--to", Long.toString(W + 60_000));
        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).contains("No rewrites: nothing suggests a point in time to restore");
        assertThat(JSON.readTree(CliRun.of("changes", "--archive", archive.toString(), "--from", Long.toString(W), "--to",
                Long.toString(W + 60_000), "--json").out()).has("suggestion")).isFalse();
    }
}
