package io.rewind.archive.segment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.rewind.archive.Sha256;
import io.rewind.archive.crypto.ArchiveCipher;
import io.rewind.archive.crypto.Keyset;
import io.rewind.archive.location.Storages;
import io.rewind.archive.storage.Storage;
import io.rewind.archive.storage.local.LocalStorage;
import io.rewind.schema.FileKind;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Files written with a keyset: stored encrypted, read back equal, checked without the keys, refused without them. */
class EncryptedSegmentTest {
    private static final String KEY = "v1/points/dt=2025-11-21/hour=12/p=0007/part-00000000000000000000-00000000000000000009.avro";

    @TempDir
    Path dir;
    LocalStorage plain;
    Keyset keyset;
    List<SeriesPoints> series;

    @BeforeEach
    void archive() throws Exception {
        plain = new LocalStorage(dir.resolve("archive"));
        keyset = Keyset.generate(dir.resolve("keyset.json"));
        keyset.write(dir.resolve("keyset.json"), false);
        // Several 64 KiB segments of ciphertext, so that a header read stops inside the file.
        series = List.of(Fixtures.gauge("secret.metric", Map.of("host", "a"), Fixtures.WINDOW, 300, 5, 1.5),
                Fixtures.gauge("secret.metric", Map.of("host", "b"), Fixtures.WINDOW, 300, 5, 7.25));
    }

    private Storage encrypted(Keyset keys) {
        return Storages.withCipher(plain, new ArchiveCipher(keys));
    }

    private SegmentFiles.Stored publish(Storage storage, String key) throws Exception {
        return SegmentFiles.publish(storage, key, Fixtures.write(dir.resolve("file-" + Math.abs(key.hashCode()) + ".avro"), FileKind.PART,
                0, 9, series));
    }

    @Test
    void aFileIsStoredEncryptedAndReadsBackEqualWithItsHeaderAndChecksum() throws Exception {
        SegmentFiles.Stored stored = publish(encrypted(keyset), KEY);

        byte[] bytes = Files.readAllBytes(dir.resolve("archive").resolve(KEY));
        assertThat(new String(bytes, 0, 4, StandardCharsets.US_ASCII)).isEqualTo("RWE1");
        assertThat(ArchiveCipher.keyId(bytes)).contains(keyset.primary().id());
        assertThat(new String(bytes, StandardCharsets.ISO_8859_1)).doesNotContain("secret.metric").doesNotContain("avro.schema");
        assertThat(stored.sha256()).isEqualTo(HexFormat.of().formatHex(Sha256.digest().digest(bytes)));
        assertThat(SegmentFiles.sidecarSha256(plain, KEY)).contains(stored.sha256());
        assertThat(Fixtures.readAll(encrypted(keyset), KEY)).containsExactlyElementsOf(series);
        assertThat(SegmentFiles.readHeader(encrypted(keyset), KEY).pointCount()).isEqualTo(600);
        assertThat(SegmentFiles.verify(encrypted(keyset), KEY)).isEqualTo(new SegmentFiles.Check(List.of(), true));
        // Without the keyset: the checksum is checked, the contents cannot be; reading is one clear error naming the key.
        assertThat(SegmentFiles.verify(plain, KEY)).isEqualTo(new SegmentFiles.Check(List.of(), false));
        assertThatThrownBy(() -> Fixtures.readAll(plain, KEY)).isInstanceOf(ArchiveCipher.KeyUnavailableException.class)
                .hasMessage(KEY + " is encrypted with key " + keyset.primary().id()
                        + ": give the keyset that holds it (--keyset FILE, or the REWIND_KEYSET environment variable)");
        assertThatThrownBy(() -> SegmentFiles.readHeader(plain, KEY)).isInstanceOf(ArchiveCipher.KeyUnavailableException.class);
    }

    @Test
    void afterARotationBothGenerationsReadAndAnOlderKeysetNamesTheKeyItLacks() throws Exception {
        publish(encrypted(keyset), KEY);
        Keyset rotated = Keyset.read(dir.resolve("keyset.json")).rotate();
        rotated.write(dir.resolve("keyset.json"), true);
        Keyset reread = Keyset.read(dir.resolve("keyset.json"));
        String second = "v1/points/rotated.avro"; // not in the archive's layout: its name is not compared with its header
        publish(encrypted(reread), second);

        assertThat(reread.keys()).hasSize(2);
        assertThat(ArchiveCipher.keyId(Files.readAllBytes(dir.resolve("archive").resolve(second)))).contains(reread.primary().id());
        assertThat(Fixtures.readAll(encrypted(reread), KEY)).containsExactlyElementsOf(series);
        assertThat(Fixtures.readAll(encrypted(reread), second)).containsExactlyElementsOf(series);
        assertThatThrownBy(() -> Fixtures.readAll(encrypted(keyset), second)).isInstanceOf(ArchiveCipher.KeyUnavailableException.class)
                .hasMessageContaining("is encrypted with key " + reread.primary().id() + ", which the keyset " + dir.resolve("keyset.json")
                        + " does not hold (it holds [" + keyset.primary().id() + "])");
        assertThat(Files.getPosixFilePermissions(dir.resolve("keyset.json"))).isEqualTo(PosixFilePermissions.fromString("rw-------"));
    }

    @Test
    void aFlippedByteOrAFileMovedToAnotherNameDoesNotDecrypt() throws Exception {
        publish(encrypted(keyset), KEY);
        Path file = dir.resolve("archive").resolve(KEY);
        byte[] bytes = Files.readAllBytes(file);
        String moved = KEY.replace("p=0007", "p=0009");
        Files.createDirectories(dir.resolve("archive").resolve(moved).getParent());
        Files.write(dir.resolve("archive").resolve(moved), bytes);
        plain.put(moved + SegmentFiles.SIDECAR_SUFFIX, Files.readAllBytes(dir.resolve("archive").resolve(KEY + SegmentFiles.SIDECAR_SUFFIX)));
        bytes[bytes.length / 2] ^= 0x10;
        Files.write(file, bytes);

        // The checksum is checked first, before anything is decrypted; a file moved with its sidecar fails its decryption.
        assertThat(SegmentFiles.verify(encrypted(keyset), KEY).problems()).singleElement().asString().startsWith(KEY + ": ")
                .contains("does not match the expected");
        assertThat(SegmentFiles.verify(plain, KEY).problems()).singleElement().asString().contains("does not match the expected");
        assertThat(SegmentFiles.verify(encrypted(keyset), moved).problems()).singleElement().asString().startsWith(moved + ": ")
                .contains("decryption failed");
    }

    @Test
    void aFileStoredInClearIsRefusedWithAKeysetUnlessPlaintextIsAllowed() throws Exception {
        publish(plain, KEY); // planted, or written before the archive was encrypted: its sidecar matches

        assertThatThrownBy(() -> Fixtures.readAll(encrypted(keyset), KEY)).isInstanceOf(SegmentCorruptException.class)
                .hasMessageStartingWith(KEY + ": not encrypted, though the archive is read with a keyset");
        assertThat(SegmentFiles.verify(encrypted(keyset), KEY).problems()).singleElement().asString()
                .startsWith(KEY + ": not encrypted");
        Storage allowing = Storages.withReadPolicy(encrypted(keyset), new io.rewind.archive.storage.ReadPolicy(false, true));
        assertThat(Fixtures.readAll(allowing, KEY)).containsExactlyElementsOf(series);
        try (InputStream in = plain.get(KEY)) {
            assertThat(ArchiveCipher.keyId(in.readNBytes(8))).isEmpty();
        }
    }
}
