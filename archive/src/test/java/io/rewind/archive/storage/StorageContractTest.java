package io.rewind.archive.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What every {@link Storage} promises; one subclass per implementation. */
public abstract class StorageContractTest {
    protected Storage storage;

    @TempDir
    protected Path scratch;

    /** A new, empty storage. */
    protected abstract Storage newStorage() throws Exception;

    @BeforeEach
    void open() throws Exception {
        storage = newStorage();
    }

    @AfterEach
    void close() throws Exception {
        storage.close();
    }

    @Test
    void objectPutFromBytesOrFileIsReadBackWhole() throws Exception {
        byte[] small = "point".getBytes(StandardCharsets.UTF_8);
        byte[] large = randomBytes(3 << 20, 1);
        Path file = Files.write(scratch.resolve("large.bin"), large);

        storage.put("v1/points/a.avro", small);
        storage.put("v1/points/b.avro", file);

        assertThat(read(storage.get("v1/points/a.avro"))).isEqualTo(small);
        assertThat(read(storage.get("v1/points/b.avro"))).isEqualTo(large);
        assertThat(storage.stat("v1/points/b.avro")).contains(new Storage.ObjectInfo("v1/points/b.avro", large.length));
    }

    @Test
    void aPutReplacesAnObjectWithoutAReaderEverSeeingAMixture() throws Exception {
        byte[] first = randomBytes(1 << 20, 2);
        byte[] second = randomBytes(1 << 20, 3);
        Path firstFile = Files.write(scratch.resolve("first"), first);
        Path secondFile = Files.write(scratch.resolve("second"), second);
        storage.put("v1/replaced.avro", firstFile);
        AtomicBoolean writing = new AtomicBoolean(true);
        ExecutorService reader = Executors.newSingleThreadExecutor();
        try {
            Future<List<byte[]>> reads = reader.submit(() -> {
                List<byte[]> seen = new ArrayList<>();
                while (writing.get() || seen.size() < 3) {
                    seen.add(read(storage.get("v1/replaced.avro")));
                }
                return seen;
            });
            for (int i = 0; i < 10; i++) {
                storage.put("v1/replaced.avro", i % 2 == 0 ? secondFile : firstFile);
            }
            writing.set(false);

            assertThat(reads.get()).isNotEmpty().allSatisfy(bytes ->
                    assertThat(Arrays.equals(bytes, first) || Arrays.equals(bytes, second)).as("whole object").isTrue());
        } finally {
            reader.shutdownNow();
        }
    }

    @Test
    void aRangedGetReturnsThatRangeAndStopsAtTheEnd() throws Exception {
        byte[] bytes = randomBytes(10_000, 4);
        storage.put("v1/ranged.avro", bytes);

        assertThat(read(storage.get("v1/ranged.avro", 100, 50))).isEqualTo(Arrays.copyOfRange(bytes, 100, 150));
        assertThat(read(storage.get("v1/ranged.avro", 9_990, 100))).isEqualTo(Arrays.copyOfRange(bytes, 9_990, 10_000));
    }

    @Test
    void aMissingObjectIsReportedByName() throws Exception {
        assertThatThrownBy(() -> read(storage.get("v1/missing.avro")))
                .isInstanceOf(NoSuchObjectException.class)
                .hasMessageContaining("v1/missing.avro");
        assertThat(storage.stat("v1/missing.avro")).isEmpty();
    }

    @Test
    void listingReturnsTheKeysUnderThePrefixInLexicographicOrder() throws Exception {
        List<String> keys = new ArrayList<>(List.of(
                "v1/points/dt=2026-11-21/hour=13/p=0007/segment-0000000002.avro",
                "v1/points/dt=2026-11-21/hour=13/p=0007/part-00000000000000001000-00000000000000001999.avro",
                "v1/points/dt=2026-11-21/hour=13/p=0007/part-00000000000000001000-00000000000000001999.avro.sha256",
                "v1/points/dt=2026-11-21/hour=13/p=0010/part-00000000000000000000-00000000000000000009.avro",
                "v1/points/dt=2026-11-21/hour=13-extra",
                "v1/points/dt=2026-11-21/hour=14/p=0000/segment-0000000001.avro",
                "v1/points/dt=2026-11-22/hour=00/p=0000/segment-0000000001.avro",
                "v1/other/dt=2026-11-21/hour=13/p=0000/segment-0000000001.avro"));
        Collections.shuffle(keys, new Random(5));
        for (String key : keys) {
            storage.put(key, key.getBytes(StandardCharsets.UTF_8));
        }

        assertThat(keys("v1/points/dt=2026-11-21/hour=13")).containsExactly(
                "v1/points/dt=2026-11-21/hour=13-extra",
                "v1/points/dt=2026-11-21/hour=13/p=0007/part-00000000000000001000-00000000000000001999.avro",
                "v1/points/dt=2026-11-21/hour=13/p=0007/part-00000000000000001000-00000000000000001999.avro.sha256",
                "v1/points/dt=2026-11-21/hour=13/p=0007/segment-0000000002.avro",
                "v1/points/dt=2026-11-21/hour=13/p=0010/part-00000000000000000000-00000000000000000009.avro");
        assertThat(keys("v1/points/")).hasSize(7).isSorted();
        assertThat(keys("v1/")).hasSize(8).isSorted();
        assertThat(keys("v2/")).isEmpty();
        try (Stream<Storage.ObjectInfo> listing = storage.list("v1/other/")) {
            assertThat(listing.toList()).singleElement().satisfies(o ->
                    assertThat(o.size()).isEqualTo(o.key().getBytes(StandardCharsets.UTF_8).length));
        }
    }

    @Test
    void listingGoesOnPastAThousandObjects() throws Exception {
        List<String> written = IntStream.range(0, 1_100)
                .mapToObj(i -> String.format("v1/many/p=%04d/part-%020d.avro", i % 3, i)).sorted().toList();
        ExecutorService writers = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> puts = new ArrayList<>();
            for (String key : written) {
                puts.add(writers.submit(() -> {
                    storage.put(key, new byte[] {1});
                    return null;
                }));
            }
            for (Future<?> put : puts) {
                put.get();
            }
        } finally {
            writers.shutdown();
        }

        assertThat(keys("v1/many/")).containsExactlyElementsOf(written);
    }

    @Test
    void concurrentWritersOfDifferentKeysAllLand() throws Exception {
        ExecutorService writers = Executors.newFixedThreadPool(8);
        List<Future<?>> puts = new ArrayList<>();
        try {
            for (int w = 0; w < 8; w++) {
                int writer = w;
                puts.add(writers.submit(() -> {
                    for (int i = 0; i < 25; i++) {
                        storage.put("v1/concurrent/w" + writer + "/" + i, randomBytes(4_096, writer * 100L + i));
                    }
                    return null;
                }));
            }
            for (Future<?> put : puts) {
                put.get();
            }
        } finally {
            writers.shutdown();
        }

        assertThat(keys("v1/concurrent/")).hasSize(200);
        for (int w = 0; w < 8; w++) {
            for (int i = 0; i < 25; i++) {
                assertThat(read(storage.get("v1/concurrent/w" + w + "/" + i))).isEqualTo(randomBytes(4_096, w * 100L + i));
            }
        }
    }

    @Test
    void deleteRemovesTheObjectAndToleratesAMissingOne() throws Exception {
        storage.put("v1/deleted.avro", new byte[] {1, 2, 3});

        storage.delete("v1/deleted.avro");
        storage.delete("v1/never-there.avro");

        assertThat(storage.stat("v1/deleted.avro")).isEmpty();
        assertThat(keys("v1/")).isEmpty();
    }

    @Test
    void keysThatCouldEscapeOrHideAreRefused() {
        for (String bad : List.of("", "/abs", "a/../b", "a//b", "a/", "a/" + Keys.TEMP_PREFIX + "x")) {
            assertThatThrownBy(() -> storage.put(bad, new byte[] {1})).as(bad)
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Invalid object key");
        }
    }

    protected List<String> keys(String prefix) throws IOException {
        try (Stream<Storage.ObjectInfo> listing = storage.list(prefix)) {
            return listing.map(Storage.ObjectInfo::key).toList();
        }
    }

    protected static byte[] read(InputStream in) throws IOException {
        try (in) {
            return in.readAllBytes();
        }
    }

    protected static byte[] randomBytes(int size, long seed) {
        byte[] bytes = new byte[size];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }
}
