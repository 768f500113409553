package io.rewind.archive.segment;

import static org.assertj.core.api.Assertions.assertThat;

import io.rewind.schema.FileKind;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Which files without their sidecar checked files make redundant: within one window of one partition, never across. */
class SupersessionTest {
    private static final long W = Fixtures.WINDOW;

    record File(String key, SegmentMetadata header, boolean published) {
    }

    private static File part(String key, long window, int partition, long first, long last, boolean published) {
        return new File(key, SegmentMetadata.of(FileKind.PART, "points", partition, window, window + 1_800_000, first, last, 0, List.of()),
                published);
    }

    private static Set<File> covered(List<File> files) {
        return Supersession.coveredUnpublished(files, File::key, File::published, File::header);
    }

    @Test
    void anOrphanIsCoveredOnlyByTheCheckedPartsOfItsOwnWindow() {
        // One commit wrote a part of offsets 0-9 for each of two half-hour windows; the second's sidecar is missing.
        File first = part("a", W, 0, 0, 9, true);
        File second = part("b", W + 1_800_000, 0, 0, 9, false);
        File sameWindow = part("c", W + 1_800_000, 0, 0, 9, true);

        assertThat(covered(List.of(first, second))).isEmpty();
        assertThat(covered(List.of(first, second, sameWindow))).containsExactly(second);
        assertThat(covered(List.of(part("d", W, 1, 0, 9, true), second))).isEmpty();
    }

    @Test
    void aRangeIsCoveredOnlyWithoutAGap() {
        File orphan = part("o", W, 0, 5, 20, false);

        assertThat(covered(List.of(part("p1", W, 0, 0, 9, true), part("p2", W, 0, 10, 30, true), orphan))).containsExactly(orphan);
        assertThat(covered(List.of(part("p1", W, 0, 0, 9, true), part("p2", W, 0, 11, 30, true), orphan))).isEmpty();
    }

    @Test
    void anUnpublishedSegmentIsCoveredByTheCheckedFilesItMergedWhateverGapsTheirOffsetsLeave() {
        File early = part("p1", W, 0, 0, 1_000, true);
        File late = part("p2", W, 0, 5_000, 5_010, true);
        File segment = new File("s", SegmentMetadata.of(FileKind.SEGMENT, "points", 0, W, W + 1_800_000, 0, 5_010, 1,
                List.of("p1", "p2")), false);

        assertThat(covered(List.of(early, late, segment))).containsExactly(segment);
        assertThat(covered(List.of(early, segment))).as("one of them gone").isEmpty();
        assertThat(covered(List.of(early, part("p2", W, 0, 5_000, 5_010, false), segment))).as("one of them unchecked").isEmpty();
    }
}
