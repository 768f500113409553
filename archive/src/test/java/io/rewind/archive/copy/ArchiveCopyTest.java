package io.rewind.archive.copy;

import static org.assertj.core.api.Assertions.assertThat;

import io.rewind.archive.ArchiveLayout;
import io.rewind.archive.RateLimit;
import io.rewind.archive.Sha256;
import io.rewind.archive.segment.SegmentFiles;
import io.rewind.archive.storage.ForwardingStorage;
import io.rewind.archive.storage.Storage;
import io.rewind.archive.storage.local.LocalStorage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code copy --delete} deletes from the copy only what the run replaced there. */
class ArchiveCopyTest {
    private static final long HOUR = 3_600_000L;
    private static final long W = 1_763_640_000_000L;
    private static final String TOPIC = "points";

    @TempDir
    Path dir;

    private final List<String> parts = List.of(ArchiveLayout.part(TOPIC, W, HOUR, 0, 0, 9), ArchiveLayout.part(TOPIC, W, HOUR, 0, 10, 19));
    private final String segment = ArchiveLayout.segment(TOPIC, W, HOUR, 0, 1);
    private Storage archive;
    private Storage target;

    /** Window W compacted in the archive; its parts, copied by an earlier run, since superseded and deleted there. */
    @BeforeEach
    void compactedWindowWhosePartsTheCopyHolds() throws IOException {
        archive = new LocalStorage(dir.resolve("source"));
        target = new LocalStorage(dir.resolve("target"));
        for (String part : parts) {
            publish(target, part, "points of " + part);
        }
        publish(archive, segment, "the compacted window");
    }

    @Test
    void aSegmentThatFailsItsChecksumLeavesThePartsItSupersedesInTheCopy() throws Exception {
        archive.put(segment, "the compacted window, damaged".getBytes(StandardCharsets.UTF_8));

        ArchiveCopy.Result result = ArchiveCopy.run(archive, target, options(), new ArchiveCopy.Counts());

        assertThat(result.problems()).singleElement().asString().startsWith(segment + ": the source's bytes have SHA-256");
        assertThat(result.deleted()).isZero();
        assertThat(result.complete()).isFalse();
        assertThat(dataFiles(target)).containsExactlyElementsOf(parts);
    }

    @Test
    void aFileGoneFromTheSourceSinceTheListingIsWorkLeftAndHoldsBackTheDeletions() throws Exception {
        // Compaction again while the copy runs: the segment it listed is replaced by the next generation and deleted.
        AtomicBoolean replaced = new AtomicBoolean();
        Storage source = new ForwardingStorage(archive) {
            @Override
            public InputStream get(String key) throws IOException {
                if (key.equals(segment) && replaced.compareAndSet(false, true)) {
                    publish(archive, ArchiveLayout.segment(TOPIC, W, HOUR, 0, 2), "the window compacted again");
                    SegmentFiles.delete(archive, segment);
                }
                return super.get(key);
            }
        };

        ArchiveCopy.Result result = ArchiveCopy.run(source, target, options(), new ArchiveCopy.Counts());

        assertThat(replaced).isTrue();
        assertThat(result.gone()).isEqualTo(1);
        assertThat(result.copied()).isZero();
        assertThat(result.problems()).isEmpty();
        assertThat(result.deleted()).isZero();
        assertThat(result.complete()).isFalse();
        assertThat(dataFiles(target)).containsExactlyElementsOf(parts);

        ArchiveCopy.Result rerun = ArchiveCopy.run(source, target, options(), new ArchiveCopy.Counts());

        assertThat(rerun.complete()).isTrue();
        assertThat(rerun.copied()).isEqualTo(1);
        assertThat(rerun.deleted()).isEqualTo(2);
        assertThat(dataFiles(target)).containsExactly(ArchiveLayout.segment(TOPIC, W, HOUR, 0, 2));
    }

    @Test
    void aCompleteRunDeletesWhatTheSourceNoLongerHolds() throws Exception {
        ArchiveCopy.Result result = ArchiveCopy.run(archive, target, options(), new ArchiveCopy.Counts());

        assertThat(result.complete()).isTrue();
        assertThat(result.gone()).isZero();
        assertThat(result.deleted()).isEqualTo(2);
        assertThat(dataFiles(target)).containsExactly(segment);
    }

    private static void publish(Storage storage, String key, String content) throws IOException {
        byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
        storage.put(key, bytes);
        String sha = HexFormat.of().formatHex(Sha256.digest().digest(bytes));
        storage.put(key + SegmentFiles.SIDECAR_SUFFIX, (sha + "  " + key.substring(key.lastIndexOf('/') + 1) + "\n")
                .getBytes(StandardCharsets.UTF_8));
    }

    private ArchiveCopy.Options options() {
        return new ArchiveCopy.Options(true, false, 2, RateLimit.of(0), dir.resolve("scratch"));
    }

    private static List<String> dataFiles(Storage storage) throws IOException {
        try (Stream<Storage.ObjectInfo> all = storage.list(ArchiveLayout.VERSION + "/")) {
            return all.map(Storage.ObjectInfo::key).filter(k -> ArchiveLayout.parse(k).isPresent()).toList();
        }
    }
}
