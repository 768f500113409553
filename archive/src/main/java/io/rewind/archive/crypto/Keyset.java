package io.rewind.archive.crypto;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Set;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The keys that encrypt an archive, in a file of their own (JSON, readable by its owner only): each key has an id and
 * 32 random bytes; the primary key encrypts new files, and every key the keyset holds decrypts the files it encrypted.
 * Rotating adds a new primary key and keeps the older ones, so older files stay readable while their key is kept. The
 * keyset is never stored with the archive.
 */
public final class Keyset {
    /** The algorithm of every key: Tink's streaming AEAD, AES-256-GCM with HKDF-SHA256, 64 KiB segments. */
    public static final String ALGORITHM = "AES256_GCM_HKDF_64KB";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final SecureRandom RANDOM = new SecureRandom();

    /** One key: its id (written in every file it encrypts), its material, and when it was made. */
    public record Key(int id, byte[] material, String created) {
    }

    private final Path source;
    private final int primaryId;
    private final Map<Integer, Key> keys;

    private Keyset(Path source, int primaryId, Map<Integer, Key> keys) {
        this.source = source;
        this.primaryId = primaryId;
        this.keys = Collections.unmodifiableMap(new LinkedHashMap<>(keys));
    }

    /** A new keyset of one key. */
    public static Keyset generate(Path file) {
        Key key = newKey(Map.of());
        return new Keyset(file, key.id(), Map.of(key.id(), key));
    }

    /** This keyset with a new primary key; the others stay, to decrypt what they encrypted. */
    public Keyset rotate() {
        Key key = newKey(keys);
        Map<Integer, Key> all = new LinkedHashMap<>(keys);
        all.put(key.id(), key);
        return new Keyset(source, key.id(), all);
    }

    private static Key newKey(Map<Integer, Key> taken) {
        int id;
        do {
            id = RANDOM.nextInt() & 0x7fffffff;
        } while (id == 0 || taken.containsKey(id));
        byte[] material = new byte[32];
        RANDOM.nextBytes(material);
        return new Key(id, material, Instant.now().toString());
    }

    /**
     * Makes a new keyset at {@code file}, or adds a new primary key to the one there, under an exclusive lock on
     * {@code <file>.lock}: two rotations at once each add their key, neither is lost, and two creations cannot both win.
     */
    public static Keyset createOrRotate(Path file, boolean rotate) throws IOException {
        Path lock = file.resolveSibling(file.getFileName() + ".lock");
        Files.createDirectories(file.toAbsolutePath().getParent());
        synchronized (Keyset.class) { // a file lock excludes other processes; threads of this one wait here
            try (FileChannel channel = FileChannel.open(lock, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                    FileLock held = channel.lock()) {
                Keyset keyset = rotate ? read(file).rotate() : generate(file);
                keyset.write(file, rotate);
                return keyset;
            }
        }
    }

    /**
     * Reads a keyset file; a missing or malformed one is one clear error naming the file, and so is one that others than
     * its owner may read or write (as ssh refuses such a private key): the keys must not leak to other users of the host.
     */
    public static Keyset read(Path file) {
        checkOwnerOnly(file);
        JsonNode root;
        try {
            root = JSON.readTree(Files.readAllBytes(file));
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("the keyset " + file + " does not exist (rewind keys create --keyset " + file + " makes one)");
        } catch (IOException e) {
            throw new IllegalArgumentException("the keyset " + file + " cannot be read: " + e.getMessage());
        }
        Map<Integer, Key> keys = new LinkedHashMap<>();
        for (JsonNode key : root.path("keys")) {
            String algorithm = key.path("algorithm").asText();
            if (!ALGORITHM.equals(algorithm)) {
                throw new IllegalArgumentException("the keyset " + file + " holds a key of algorithm '" + algorithm + "'; Rewind's keys are "
                        + ALGORITHM);
            }
            byte[] material;
            try {
                material = Base64.getDecoder().decode(key.path("material").asText());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("the keyset " + file + ": key " + key.path("id").asInt() + " is not base64");
            }
            if (material.length != 32) {
                throw new IllegalArgumentException("the keyset " + file + ": key " + key.path("id").asInt() + " is not 32 bytes");
            }
            keys.put(key.path("id").asInt(), new Key(key.path("id").asInt(), material, key.path("created").asText()));
        }
        int primary = root.path("primaryKeyId").asInt();
        if (!keys.containsKey(primary)) {
            throw new IllegalArgumentException("the keyset " + file + " is not a Rewind keyset: its primary key " + primary + " is not in it");
        }
        return new Keyset(file, primary, keys);
    }

    private static void checkOwnerOnly(Path file) {
        Set<PosixFilePermission> mode;
        try {
            mode = Files.getPosixFilePermissions(file);
        } catch (UnsupportedOperationException notPosix) {
            return; // no owner-only mode on this file system
        } catch (IOException e) {
            return; // missing or unreadable: said with the reading below
        }
        Set<PosixFilePermission> others = EnumSet.of(PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE,
                PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE);
        others.retainAll(mode);
        if (!others.isEmpty()) {
            throw new IllegalArgumentException("the keyset " + file + " is accessible to others than its owner (mode "
                    + PosixFilePermissions.toString(mode) + "): its keys may have leaked; make it the owner's only (chmod 600 "
                    + file + ") and consider rotating (rewind keys rotate)");
        }
    }

    /** Writes the keyset, readable by its owner only, replacing the file atomically. */
    public void write(Path file, boolean replace) throws IOException {
        ObjectNode root = JSON.createObjectNode().put("rewindKeyset", 1).put("primaryKeyId", primaryId);
        ArrayNode list = root.putArray("keys");
        keys.values().forEach(k -> list.addObject().put("id", k.id()).put("algorithm", ALGORITHM).put("created", k.created())
                .put("material", Base64.getEncoder().encodeToString(k.material())));
        if (!replace && Files.exists(file)) {
            throw new FileAlreadyExistsException(file + " exists: rewind keys rotate adds a key to it");
        }
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path temp = Files.createTempFile(dir, ".keyset-", ".tmp");
        try {
            try {
                Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString("rw-------"));
            } catch (UnsupportedOperationException notPosix) {
                // the file system has no owner-only mode; the keyset is written all the same
            }
            Files.write(temp, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(root));
            try {
                Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    public Path source() {
        return source;
    }

    public Key primary() {
        return keys.get(primaryId);
    }

    public Map<Integer, Key> keys() {
        return keys;
    }
}
