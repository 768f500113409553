package io.rewind.archive.storage.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.rewind.archive.location.Storages;
import io.rewind.archive.storage.Keys;
import io.rewind.archive.storage.Storage;
import io.rewind.archive.storage.StorageContractTest;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class LocalStorageTest extends StorageContractTest {

    @Override
    protected Storage newStorage() throws Exception {
        return new LocalStorage(scratch.resolve("archive"));
    }

    @Test
    void halfWrittenTemporaryFilesAreNeverListedAndCleanupRemovesThem() throws Exception {
        storage.put("v1/p=0000/segment-0000000001.avro", new byte[] {1});
        Path dir = scratch.resolve("archive/v1/p=0000");
        Files.write(dir.resolve(Keys.TEMP_PREFIX + "crashed-segment-0000000002.avro"), new byte[] {2});

        assertThat(keys("v1/")).containsExactly("v1/p=0000/segment-0000000001.avro");
        assertThat(((LocalStorage) storage).removeTemporaryFiles()).isEqualTo(1);
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly("segment-0000000001.avro");
        }
    }

    @Test
    void aPlainPathOrAFileUriOpensALocalStorage() throws Exception {
        try (Storage byPath = Storages.open(scratch.resolve("by-path").toString());
                Storage byUri = Storages.open(scratch.resolve("by-uri").toUri().toString())) {
            assertThat(byPath).isInstanceOf(LocalStorage.class);
            assertThat(byUri.uri()).isEqualTo(scratch.resolve("by-uri").toUri());
        }
    }
}
