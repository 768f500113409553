package io.rewind.archive.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The keyset file: the owner's alone, and rotations that never lose a key. */
class KeysetTest {
    @TempDir
    Path dir;

    @Test
    void aKeysetThatOthersCanReadIsRefusedAsSshRefusesSuchAKey() throws Exception {
        Path file = dir.resolve("keyset.json");
        Keyset.createOrRotate(file, false);
        assertThat(Keyset.read(file).keys()).hasSize(1);

        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));

        assertThatThrownBy(() -> Keyset.read(file)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("the keyset " + file + " is accessible to others than its owner (mode rw-r--r--)")
                .hasMessageContaining("chmod 600");
    }

    @Test
    void rotationsRunningAtOnceEachAddTheirKey() throws Exception {
        Path file = dir.resolve("keyset.json");
        Keyset.createOrRotate(file, false);
        int threads = 4;
        int each = 15;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch start = new CountDownLatch(1);
        List<Future<?>> done = new ArrayList<>();
        try {
            for (int t = 0; t < threads; t++) {
                done.add(pool.submit(() -> {
                    start.await();
                    for (int i = 0; i < each; i++) {
                        Keyset.createOrRotate(file, true);
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }

        assertThat(Keyset.read(file).keys()).hasSize(1 + threads * each);
    }

    @Test
    void aSecondCreationDoesNotReplaceTheFirstKeyset() throws Exception {
        Path file = dir.resolve("keyset.json");
        Keyset first = Keyset.createOrRotate(file, false);

        assertThatThrownBy(() -> Keyset.createOrRotate(file, false)).hasMessageContaining("exists");
        assertThat(Keyset.read(file).primary().id()).isEqualTo(first.primary().id());
    }
}
