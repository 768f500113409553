package io.rewind.cli;

import io.rewind.archive.location.Storages;
import io.rewind.archive.storage.ReadPolicy;
import io.rewind.archive.storage.Storage;
import java.io.IOException;
import picocli.CommandLine.Option;

/** Where the archive is, for every verb. */
public final class ArchiveOptions {
    @Option(names = {"-a", "--archive"}, required = true, paramLabel = "URI",
            description = {"The archive's storage: a directory (path or file:///...) or s3://bucket/prefix",
                    "(?endpoint=http://host:port&region=...&path-style=true; credentials from the AWS default chain)."})
    public String archive;

    @Option(names = "--topic", defaultValue = "points", paramLabel = "TOPIC",
            description = "The points topic whose archive to read (default: ${DEFAULT-VALUE}).")
    public String topic;

    @Option(names = "--keyset", paramLabel = "FILE",
            description = {"The keyset of an encrypted archive (rewind keys create); default: the file the REWIND_KEYSET",
                    "environment variable names, if any."})
    public java.nio.file.Path keyset;

    @Option(names = "--allow-unchecked",
            description = {"Read data files that have no checksum sidecar (an archiver crash can leave one until its window is",
                    "compacted), unchecked. Without it such a file is refused, naming it, before any of its points is used."})
    public boolean allowUnchecked;

    @Option(names = "--allow-plaintext",
            description = {"With a keyset, also read data files that are not encrypted (written before the archive was encrypted).",
                    "Without it such a file is refused, naming it: with a keyset, every file must be encrypted."})
    public boolean allowPlaintext;

    public Storage open() throws IOException {
        return Storages.withReadPolicy(Storages.open(archive, java.util.Optional.ofNullable(keyset)),
                new ReadPolicy(allowUnchecked, allowPlaintext));
    }
}
