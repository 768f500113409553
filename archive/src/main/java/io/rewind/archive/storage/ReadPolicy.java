package io.rewind.archive.storage;

/**
 * What a reader of an archive accepts (guarantee 12: nothing unchecked reaches a target). By default neither: a data file
 * without its checksum sidecar is refused, and so is a file that is not encrypted when a keyset is given (guarantee 9). The
 * operator relaxes them by name, e.g. to read the part an archiver crash left unpublished, or an archive that was encrypted
 * only from some day on.
 *
 * @param allowUnchecked a file without a sidecar is read, unchecked
 * @param allowPlaintext with a keyset, a file that is not encrypted is read as it is
 */
public record ReadPolicy(boolean allowUnchecked, boolean allowPlaintext) {
    public static final ReadPolicy STRICT = new ReadPolicy(false, false);

    public ReadPolicy allowingUnchecked() {
        return new ReadPolicy(true, allowPlaintext);
    }
}
