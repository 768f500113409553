package io.rewind.quickstart.model;

import io.rewind.quickstart.model.ArchivePromisePropertyTest.Check;
import io.rewind.quickstart.model.ArchivePromisePropertyTest.Compact;
import io.rewind.quickstart.model.ArchivePromisePropertyTest.Copy;
import io.rewind.quickstart.model.ArchivePromisePropertyTest.Correct;
import io.rewind.quickstart.model.ArchivePromisePropertyTest.Put;
import io.rewind.quickstart.model.ArchivePromisePropertyTest.Zombie;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Sequences the model search found, shrunk, kept so that every build runs them: each failed on the code it names. The
 * final check of {@link ArchivePromisePropertyTest#run} restores everything as it is now, from the archive and its copy.
 */
class ArchivePromiseRegressionTest {
    @Test
    void aFloatCorrectedByAnIntegerInTheSameMillisecondRestoresTheInteger() throws Exception {
        // Sorting versions of one (timestamp, ingest time) by their value bits kept the float's larger bits.
        ArchivePromisePropertyTest.run(List.of(new Put(2, 1, false, true, 0, 0), new Put(2, 1, false, false, 3, 0)));
    }

    @Test
    void aCorrectionInTheSameMillisecondSurvivesCompactionAndALatePointOfTheWindow() throws Exception {
        ArchivePromisePropertyTest.run(List.of(new Put(0, 0, false, false, 3, 0), new Put(0, 0, false, false, 1, 0),
                new Put(1, 4, false, false, 2, 70 * 60_000L), new Compact(), new Put(0, 0, false, false, 2, 20 * 60_000L),
                new Put(0, 0, false, false, 0, 0), new Copy(), new Check(0, 2, 2, 0, false), new Compact()));
    }

    @Test
    void aFencedInstancesPartInsideACompactedSegmentKeepsTheCorrectionLast() throws Exception {
        // Offsets 1-3 carry 1, 2, 3 for one point in one millisecond; window 0 is compacted (offsets 0-3), then a fenced
        // instance publishes its part of offsets 1-2. Merging by first offset put that part after the segment: 2 won.
        ArchivePromisePropertyTest.run(List.of(new Put(2, 0, false, false, 0, 0), new Put(0, 0, false, false, 1, 1),
                new Correct(false, 2), new Correct(false, 3), new Put(1, 4, false, false, 0, 70 * 60_000L), new Compact(),
                new Zombie(4, 2), new Check(0, 2, 0, 0, true)));
    }
}
