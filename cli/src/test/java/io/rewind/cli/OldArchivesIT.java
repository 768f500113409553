package io.rewind.cli;

import static io.rewind.devstack.junit.DevStackExtension.RECOVERY;
import static org.assertj.core.api.Assertions.assertThat;

import io.rewind.devstack.DevStack;
import io.rewind.devstack.Tsd;
import io.rewind.devstack.TsdClient;
import io.rewind.devstack.junit.DevStackExtension;
import io.rewind.devstack.process.Await;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The archives earlier releases wrote (see {@link OldArchivesTest}) restored by today's restore into a real TSD: what the
 * TSD then answers equals the last value put for every point, renamed so that each archive lands in series of its own.
 */
@ExtendWith(DevStackExtension.class)
class OldArchivesIT {
    @TempDir
    Path work;

    @ParameterizedTest(name = "{0}")
    @MethodSource("io.rewind.cli.OldArchivesTest#archives")
    void restoresIntoATsdWhatWasPut(OldArchivesTest.OldArchive old, DevStack stack) throws Exception {
        String prefix = "old." + old.name().replace('/', '.').replace("format-", "v") + ".";
        Tsd tsd = stack.tsd(RECOVERY);
        long addedBefore = RestoreIT.pointsAdded(tsd);

        CliRun restore = old.run("restore", "--from", old.story().getProperty("from"), "--to", old.story().getProperty("to"),
                "--rename-metric", "fixture\\.(.*)=" + prefix + "$1",
                "--target", tsd.httpUrl().toString(), "--batch-size", "500", "--verify", "--checkpoint", work.resolve("checkpoint").toString(),
                "--rejects", work.resolve("rejects.jsonl").toString());

        assertThat(restore.exitCode()).as(restore.out() + restore.err()).isZero();
        Map<String, String> expected = new TreeMap<>();
        OldArchivesTest.inMilliseconds(OldArchivesTest.points(old.putLines("1-tsd.txt", "2-tap.txt", "3-tap.txt")))
                .forEach((point, value) -> expected.put(prefix + point.substring("fixture.".length()), value));
        // Each point written once, by the TSD's own count (a batch the restore had to send again, which it says, counts twice).
        Await.until("the TSD to count the points it stored", Duration.ofSeconds(30), () -> { },
                () -> RestoreIT.pointsAdded(tsd) - addedBefore >= expected.size());
        java.util.regex.Matcher retried = java.util.regex.Pattern.compile("([\\d,]+) retries").matcher(restore.out());
        long retries = retried.find() ? Long.parseLong(retried.group(1).replace(",", "")) : 0;
        assertThat(RestoreIT.pointsAdded(tsd) - addedBefore).as("points the TSD stored, %d retries", retries)
                .isBetween((long) expected.size(), expected.size() + retries * 500L);
        Map<String, String> stored = new TreeMap<>();
        for (String metric : expected.keySet().stream().map(p -> p.substring(0, p.indexOf(' '))).distinct().toList()) {
            for (TsdClient.Series series : TsdClient.of(tsd).query(metric, Long.parseLong(old.story().getProperty("from")) * 1000,
                    Long.parseLong(old.story().getProperty("to")) * 1000)) {
                series.points().forEach((ms, value) -> stored.put(metric + " " + new TreeMap<>(series.tags()) + " " + ms,
                        OldArchivesTest.value(value.isIntegralNumber() ? Long.toString(value.asLong()) : Double.toString(value.asDouble()))));
            }
        }
        assertThat(stored).isEqualTo(expected);
    }
}
