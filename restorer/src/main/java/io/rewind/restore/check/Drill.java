package io.rewind.restore.check;

import io.rewind.archive.ArchiveLayout;
import io.rewind.archive.RateLimit;
import io.rewind.archive.storage.Storage;
import io.rewind.restore.Restore;
import io.rewind.restore.RestorePlan;
import io.rewind.restore.plan.Selection;
import io.rewind.restore.plan.Transforms;
import io.rewind.restore.targets.HttpTarget;
import io.rewind.restore.targets.Target;
import io.rewind.service.RejectFile;
import io.rewind.service.TimeArgs;
import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * A restore drill: restores a sample of the archive into a scratch target and compares every selected series there with
 * the archive, point by point ({@link TargetVerifier}), the way an operator proves that backups restore before the day
 * they must. The sample is hours of event time: the last full hour that holds data, and {@code sample} random older
 * hours (seeded, so a failing drill can be repeated). The archive is read as it was when the drill started.
 */
public final class Drill {

    private Drill() {
    }

    /** What to drill, and how to write. */
    public record Settings(String topic, List<String> metrics, Map<String, String> tags, Transforms transforms,
            HttpTarget.Settings target, int batchSize, int parallelism, RateLimit limit, int sample, long seed, Path rejects) {
    }

    /** One hour of event time the drill restores, and why it was chosen. */
    public record Sample(long fromMs, long toMs, String why) {
    }

    /** What one sample gave: its files, the points written, those the target refused, and the comparison. */
    public record SampleResult(Sample sample, long files, long points, long rejected, TargetVerifier.Report verification) {
        public boolean passed() {
            return rejected == 0 && verification.equal();
        }
    }

    /** A drill's outcome: it passes when it restored something and every sample is equal. */
    public record Result(long seed, long startedMs, long elapsedMs, List<SampleResult> samples) {
        public boolean passed() {
            return !samples.isEmpty() && samples.stream().allMatch(SampleResult::passed);
        }

        /** Whether the archive held nothing to drill: no hour of the topic yet, which is neither a pass nor a failure. */
        public boolean nothingToDrill() {
            return samples.isEmpty();
        }

        public long points() {
            return samples.stream().mapToLong(s -> s.verification().points()).sum();
        }

        public long series() {
            return samples.stream().mapToLong(s -> s.verification().series()).sum();
        }

        public long mismatches() {
            return samples.stream().mapToLong(s -> s.verification().mismatches().size()).sum();
        }

        public long rejected() {
            return samples.stream().mapToLong(SampleResult::rejected).sum();
        }
    }

    /** The hours of event time the archive holds files for, from the names of its objects alone (no file is read). */
    public static List<Long> hoursWithData(Storage storage, String topic) throws IOException {
        TreeSet<Long> hours = new TreeSet<>();
        try (Stream<Storage.ObjectInfo> listing = storage.list(ArchiveLayout.VERSION + "/" + topic + "/")) {
            listing.forEach(o -> ArchiveLayout.parse(o.key()).ifPresent(name -> hours.add(Math.floorDiv(name.windowStartMs(), ArchiveLayout.HOUR_MS) * ArchiveLayout.HOUR_MS)));
        }
        return new ArrayList<>(hours);
    }

    /**
     * The last full hour with data before {@code nowMs} (the latest hour with data when none is full yet), and {@code n}
     * other hours with data drawn with the seed.
     */
    public static List<Sample> choose(List<Long> hours, long nowMs, int n, long seed) {
        if (hours.isEmpty()) {
            return List.of();
        }
        List<Long> full = hours.stream().filter(h -> h + ArchiveLayout.HOUR_MS <= nowMs).toList();
        long last = full.isEmpty() ? hours.get(hours.size() - 1) : full.get(full.size() - 1);
        List<Sample> samples = new ArrayList<>();
        samples.add(new Sample(last, last + ArchiveLayout.HOUR_MS, full.isEmpty() ? "latest hour (none is full yet)" : "last full hour"));
        List<Long> older = new ArrayList<>(hours.stream().filter(h -> h < last).toList());
        Collections.shuffle(older, new Random(seed));
        older.stream().limit(n).sorted().forEach(h -> samples.add(new Sample(h, h + ArchiveLayout.HOUR_MS, "random")));
        return samples;
    }

    /**
     * Runs the drill, writing and comparing through {@code http}: a client built once, which the runs of {@code drill --every}
     * share (its connections with them); a sample that cannot be restored or compared fails the run with its error.
     */
    public static Result run(Storage storage, Settings settings, HttpClient http, long nowMs)
            throws IOException, InterruptedException {
        long started = System.nanoTime();
        List<SampleResult> results = new ArrayList<>();
        List<Sample> samples = choose(hoursWithData(storage, settings.topic()), nowMs, settings.sample(), settings.seed());
        try (RejectFile rejects = new RejectFile(settings.rejects(), false)) {
            HttpTarget writer = new HttpTarget(settings.target(), rejects, http);
            for (Sample sample : samples) {
                long rejectedBefore = rejects.count();
                Selection selection = new Selection(sample.fromMs(), sample.toMs(), nowMs, settings.metrics(), settings.tags());
                RestorePlan plan = RestorePlan.of(storage, settings.topic(), selection);
                if (!plan.unreadable().isEmpty()) {
                    throw new IOException("cannot read " + plan.unreadable().size() + " file(s) of " + TimeArgs.format(sample.fromMs()) + ": "
                            + String.join("; ", plan.unreadable()));
                }
                Restore.Result restored = Restore.run(storage, plan, settings.transforms(), settings.batchSize(), settings.parallelism(),
                        Target.limited(writer, settings.limit()), null, new Restore.Counts());
                TargetVerifier.Report verification = TargetVerifier.verify(storage, plan, settings.transforms(),
                        settings.target().targets().get(0), settings.target().timeout(), http);
                results.add(new SampleResult(sample, plan.files(), restored.pointsSent(), rejects.count() - rejectedBefore, verification));
            }
        }
        return new Result(settings.seed(), nowMs, (System.nanoTime() - started) / 1_000_000, results);
    }
}
