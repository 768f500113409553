package io.rewind.archive.crypto;

import com.google.crypto.tink.StreamingAead;
import com.google.crypto.tink.subtle.AesGcmHkdfStreaming;
import io.rewind.archive.Sha256;
import java.io.BufferedOutputStream;
import java.io.FileOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PushbackInputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Client-side encryption of the archive's files: each file leaves the process encrypted with the keyset's primary key,
 * by Tink's streaming AEAD (AES-256-GCM, keys derived per file by HKDF-SHA256, authenticated in 64 KiB segments), and is
 * decrypted as it is read. A stored file starts with {@code RWE1} and the id of its key (4 bytes), then Tink's
 * ciphertext; the associated data binds that header and the file's storage key, so a file moved to another name, or
 * given another key id, does not decrypt. Files stored in clear (from before encryption was turned on) stay readable.
 */
public final class ArchiveCipher {
    private static final byte[] MAGIC = {'R', 'W', 'E', '1'};
    private static final int HEADER = 8;
    private static final int SEGMENT = 64 * 1024;

    private final Keyset keyset;
    private final Map<Integer, StreamingAead> aeads = new LinkedHashMap<>();

    public ArchiveCipher(Keyset keyset) {
        this.keyset = keyset;
        for (Keyset.Key key : keyset.keys().values()) {
            try {
                aeads.put(key.id(), new AesGcmHkdfStreaming(key.material(), "HmacSha256", 32, SEGMENT, 0));
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("key " + key.id() + " of " + keyset.source() + " cannot be used: " + e.getMessage(), e);
            }
        }
    }

    public Keyset keyset() {
        return keyset;
    }

    /** What {@link #encrypt} wrote: its size and SHA-256, the stored object's, for the sidecar and the catalog. */
    public record Encrypted(long byteSize, String sha256) {
    }

    /** Encrypts {@code plain} into {@code target} for the storage key {@code objectKey}, with the primary key. */
    public Encrypted encrypt(Path plain, Path target, String objectKey) throws IOException {
        int id = keyset.primary().id();
        MessageDigest sha = Sha256.digest();
        try (FileOutputStream file = new FileOutputStream(target.toFile())) {
            DigestOutputStream digest = new DigestOutputStream(new BufferedOutputStream(file, 1 << 16), sha);
            digest.write(header(id));
            try (OutputStream encrypting = aeads.get(id).newEncryptingStream(new FilterOutputStream(digest) {
                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    out.write(b, off, len);
                }

                @Override
                public void close() throws IOException {
                    flush(); // the file is closed below, once synced
                }
            }, associatedData(id, objectKey))) {
                Files.copy(plain, encrypting);
            } catch (GeneralSecurityException e) {
                throw new IOException("encrypting " + objectKey + ": " + e.getMessage(), e);
            }
            digest.flush(); // durable once stored: storing it is what makes it so
        }
        return new Encrypted(Files.size(target), HexFormat.of().formatHex(sha.digest()));
    }

    /**
     * The content of a stored object: decrypted with the key its header names when it is encrypted, as it is when it is
     * not. An encrypted object without a keyset, or whose key the keyset lacks, is a {@link KeyUnavailableException}
     * naming the key id.
     */
    public static InputStream reading(Optional<ArchiveCipher> cipher, InputStream stored, String objectKey) throws IOException {
        PushbackInputStream in = new PushbackInputStream(stored, HEADER);
        byte[] head = in.readNBytes(HEADER);
        if (head.length < HEADER || !Arrays.equals(MAGIC, 0, MAGIC.length, head, 0, MAGIC.length)) {
            in.unread(head);
            return in;
        }
        int id = ByteBuffer.wrap(head, MAGIC.length, 4).getInt();
        if (cipher.isEmpty()) {
            throw new KeyUnavailableException(objectKey + " is encrypted with key " + id
                    + ": give the keyset that holds it (--keyset FILE, or the REWIND_KEYSET environment variable)");
        }
        return new java.io.BufferedInputStream(cipher.get().decrypt(new java.io.BufferedInputStream(in, SEGMENT), id, objectKey), SEGMENT);
    }

    /** Whether a stored object's first bytes are those of an encrypted file; its key id when they are. */
    public static Optional<Integer> keyId(byte[] first) {
        if (first.length < HEADER || !Arrays.equals(MAGIC, 0, MAGIC.length, first, 0, MAGIC.length)) {
            return Optional.empty();
        }
        return Optional.of(ByteBuffer.wrap(first, MAGIC.length, 4).getInt());
    }

    private InputStream decrypt(InputStream ciphertext, int id, String objectKey) throws IOException {
        StreamingAead aead = aeads.get(id);
        if (aead == null) {
            throw new KeyUnavailableException(objectKey + " is encrypted with key " + id + ", which the keyset " + keyset.source()
                    + " does not hold (it holds " + aeads.keySet() + "): a keyset from before that key was made, or another archive's");
        }
        InputStream decrypting;
        try {
            decrypting = aead.newDecryptingStream(ciphertext, associatedData(id, objectKey));
        } catch (GeneralSecurityException e) {
            throw new IOException("decrypting " + objectKey + ": " + e.getMessage(), e);
        }
        return new java.io.FilterInputStream(decrypting) {
            @Override
            public int read() throws IOException {
                try {
                    return super.read();
                } catch (IOException e) {
                    throw failed(e);
                }
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                try {
                    return super.read(b, off, len);
                } catch (IOException e) {
                    throw failed(e);
                }
            }

            private IOException failed(IOException e) {
                return new IOException("decryption failed: the stored bytes were changed, or are another file's (" + e.getMessage() + ")", e);
            }
        };
    }

    /** The bytes from a stored object's start that hold at least its first {@code plaintextBytes}: to read a header alone. */
    public static long storedPrefix(long plaintextBytes) {
        return HEADER + (plaintextBytes / (SEGMENT - 64) + 3) * SEGMENT;
    }

    private static byte[] header(int id) {
        return ByteBuffer.allocate(HEADER).put(MAGIC).putInt(id).array();
    }

    private static byte[] associatedData(int id, String objectKey) {
        byte[] key = objectKey.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(HEADER + key.length).put(header(id)).put(key).array();
    }

    /** A file that cannot be decrypted for want of its key: one clear error, naming the key id. */
    public static final class KeyUnavailableException extends IllegalStateException {
        public KeyUnavailableException(String message) {
            super(message);
        }
    }
}
