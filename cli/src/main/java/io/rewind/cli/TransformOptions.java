package io.rewind.cli;

import io.rewind.restore.plan.Transforms;
import io.rewind.service.TimeArgs;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import picocli.CommandLine.Option;

/** Staging transforms, shared by restore and export. */
final class TransformOptions {
    @Option(names = "--rename-metric", paramLabel = "REGEX=REPLACEMENT",
            description = "Rename metrics matching the whole pattern, e.g. 'sys\\.(.*)=staging.sys.$1'; repeatable, first match wins.")
    List<String> renames = new ArrayList<>();

    @Option(names = "--set-tag", paramLabel = "K=V", description = "Add this tag, or overwrite its value; repeatable.")
    Map<String, String> setTags = new LinkedHashMap<>();

    @Option(names = "--drop-tag", paramLabel = "K", description = "Remove this tag; repeatable.")
    Set<String> dropTags = new LinkedHashSet<>();

    @Option(names = "--time-shift", paramLabel = "DURATION", description = "Move every timestamp, e.g. +7d, -1h30m (whole seconds).")
    String timeShift;

    Transforms transforms() {
        Transforms t = new Transforms(renames, setTags, dropTags, timeShift == null ? 0 : TimeArgs.parseDuration(timeShift));
        t.checkShiftKeepsSeconds();
        return t;
    }

    /** The options as given, for the checkpoint's fingerprint. */
    List<String> asArguments() {
        return List.of(renames.toString(), setTags.toString(), dropTags.toString(), String.valueOf(timeShift));
    }
}
