package io.rewind.archive;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/** SHA-256, the digest of Rewind's checksums (segment files' sidecars) and fingerprints (a restore's arguments). */
public final class Sha256 {
    private Sha256() {
    }

    /** A new digest; every JVM has SHA-256. */
    public static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("This JVM has no SHA-256", e);
        }
    }
}
