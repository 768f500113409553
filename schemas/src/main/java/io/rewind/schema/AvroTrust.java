package io.rewind.schema;

import org.apache.avro.util.ClassSecurityValidator;
import org.apache.avro.util.ClassSecurityValidator.ClassSecurityPredicate;

/**
 * Avro 1.12.2 instantiates only trusted classes when it reads specific records. Its trusted list from
 * the {@code org.apache.avro.SERIALIZABLE_PACKAGES} system property is read once, when Avro's classes
 * load, so setting the property at run time is unreliable; this adds Rewind's generated package to
 * Avro's global validator instead, keeping whatever else the process already trusts.
 */
public final class AvroTrust {
    static final String REWIND_PACKAGE = "io.rewind.schema";
    private static boolean trusted;

    private AvroTrust() {
    }

    /** Call before reading Rewind's specific records (wire formats and segment files do). Idempotent. */
    public static synchronized void trustRewindSchemas() {
        if (trusted) {
            return;
        }
        ClassSecurityPredicate rewind = type -> REWIND_PACKAGE.equals(type.getPackageName());
        ClassSecurityValidator.setGlobal(ClassSecurityValidator.composite(ClassSecurityValidator.getGlobal(), rewind));
        trusted = true;
    }
}
