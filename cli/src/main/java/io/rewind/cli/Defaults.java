package io.rewind.cli;

/** Defaults of the restore's replay, chosen with {@code bin/rewind bench restore} (see the module README). */
final class Defaults {
    static final int BATCH_SIZE = 10_000;
    static final int PARALLELISM = 8;

    private Defaults() {
    }
}
