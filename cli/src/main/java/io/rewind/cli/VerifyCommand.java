package io.rewind.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.rewind.archive.ArchiveLayout;
import io.rewind.archive.segment.SegmentFiles;
import io.rewind.archive.segment.SegmentMetadata;
import io.rewind.archive.storage.Storage;
import io.rewind.restore.source.ArchiveIndex;
import io.rewind.restore.source.CatalogReader;
import io.rewind.schema.CatalogRecord;
import io.rewind.schema.FileKind;
import io.rewind.schema.wire.WireFormats;
import io.rewind.service.TimeArgs;
import java.io.PrintWriter;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "verify", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Checks every file of the archive: its checksum against its sidecar, that it reads to the end, that",
                "its header agrees with its name and its contents; and, with --catalog-bootstrap, the catalog topic",
                "against storage: files the catalog records that storage lacks, and files storage holds that the",
                "catalog does not. Exit 1 when anything is wrong, naming each problem."})
final class VerifyCommand implements Callable<Integer> {
    @Mixin
    ArchiveOptions archive;

    @Option(names = "--parallelism", defaultValue = "4", paramLabel = "N", description = "Files read at once (default: ${DEFAULT-VALUE}).")
    int parallelism;

    @Option(names = "--catalog-bootstrap", paramLabel = "HOST:PORT", description = "Kafka bootstrap servers, to check the catalog topic too.")
    String catalogBootstrap;

    @Option(names = "--catalog-topic", paramLabel = "TOPIC", description = "The catalog topic (default: <topic>-catalog).")
    String catalogTopic;

    @Option(names = "--kafka", paramLabel = "KEY=VALUE",
            description = "A Kafka consumer setting for reading the catalog, e.g. security.protocol=SASL_SSL; repeatable.")
    Map<String, String> kafka = new LinkedHashMap<>();

    @Option(names = "--schema-registry", paramLabel = "URL", description = "When the catalog is in Confluent's wire format.")
    URI schemaRegistry;

    @Option(names = "--json", description = "Print as JSON.")
    boolean json;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        List<String> problems = new ArrayList<>();
        int files;
        try (Storage storage = archive.open()) {
            ArchiveIndex index;
            try {
                index = ArchiveIndex.scanAll(storage, Optional.of(archive.topic), problems);
            } catch (io.rewind.archive.crypto.ArchiveCipher.KeyUnavailableException encrypted) {
                if (storage.cipher().isPresent()) {
                    throw encrypted; // the keyset lacks a key: one clear error
                }
                return checksumsOnly(storage);
            }
            index.sidecarsWithoutData().forEach(sidecar -> problems.add(sidecar.substring(0,
                    sidecar.length() - SegmentFiles.SIDECAR_SUFFIX.length()) + ": missing (its checksum sidecar is there, the file is not)"));
            List<ArchiveIndex.StoredFile> all = index.units().stream().flatMap(u -> u.files().stream()).toList();
            files = all.size();
            ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, parallelism));
            try {
                List<Future<List<String>>> results = new ArrayList<>();
                for (ArchiveIndex.StoredFile file : all) {
                    results.add(pool.submit(() -> {
                        List<String> found = new ArrayList<>(SegmentFiles.verify(storage, file.key()).problems());
                        found.addAll(consistency(file));
                        return found;
                    }));
                }
                for (Future<List<String>> result : results) {
                    problems.addAll(result.get());
                }
            } finally {
                pool.shutdownNow();
            }
            if (catalogBootstrap != null) {
                problems.addAll(againstCatalog(all));
            }
        }
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            ObjectNode root = Report.JSON.createObjectNode().put("files", files).put("ok", problems.isEmpty());
            ArrayNode list = root.putArray("problems");
            problems.forEach(list::add);
            out.println(root.toPrettyString());
        } else if (problems.isEmpty()) {
            out.printf("%d file(s) verified%s: no problem.%n", files, catalogBootstrap != null ? " against storage and the catalog" : "");
        } else {
            problems.forEach(p -> out.println("PROBLEM " + p));
            out.printf("%d file(s) verified: %d problem(s).%n", files, problems.size());
        }
        return problems.isEmpty() ? RewindCli.OK : RewindCli.PROBLEMS;
    }

    /**
     * An encrypted archive without its keyset: every file's checksum is checked against its sidecar (and a file stored in
     * clear is read whole), but the contents of the encrypted files cannot be, and the report says so.
     */
    private int checksumsOnly(Storage storage) throws Exception {
        List<String> keys;
        List<String> problems = new ArrayList<>();
        try (java.util.stream.Stream<Storage.ObjectInfo> all = storage.list(ArchiveLayout.VERSION + "/" + archive.topic + "/")) {
            List<String> objects = all.map(Storage.ObjectInfo::key).toList();
            keys = objects.stream().filter(k -> ArchiveLayout.parse(k).isPresent()).toList();
            objects.stream().filter(k -> k.endsWith(SegmentFiles.SIDECAR_SUFFIX))
                    .map(k -> k.substring(0, k.length() - SegmentFiles.SIDECAR_SUFFIX.length())).filter(k -> !objects.contains(k))
                    .forEach(k -> problems.add(k + ": missing (its checksum sidecar is there, the file is not)"));
        }
        java.util.concurrent.atomic.AtomicInteger unchecked = new java.util.concurrent.atomic.AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, parallelism));
        try {
            List<Future<SegmentFiles.Check>> results = new ArrayList<>();
            for (String key : keys) {
                results.add(pool.submit(() -> SegmentFiles.verify(storage, key)));
            }
            for (Future<SegmentFiles.Check> result : results) {
                problems.addAll(result.get().problems());
                if (!result.get().contentsChecked()) {
                    unchecked.incrementAndGet();
                }
            }
        } finally {
            pool.shutdownNow();
        }
        PrintWriter out = spec.commandLine().getOut();
        String notChecked = String.format("the checksums of %d encrypted file(s) were checked, their contents were not (no keyset:"
                + " --keyset FILE or %s)", unchecked.get(), io.rewind.archive.location.Storages.KEYSET_VARIABLE);
        if (json) {
            ObjectNode root = Report.JSON.createObjectNode().put("files", keys.size()).put("ok", problems.isEmpty())
                    .put("contentsNotChecked", unchecked.get());
            problems.forEach(root.putArray("problems")::add);
            out.println(root.toPrettyString());
        } else {
            problems.forEach(p -> out.println("PROBLEM " + p));
            out.printf("%d file(s) verified: %s; %s.%n", keys.size(), problems.isEmpty() ? "no problem" : problems.size() + " problem(s)",
                    notChecked);
        }
        return problems.isEmpty() ? RewindCli.OK : RewindCli.PROBLEMS;
    }

    /** What a file's header says against what its name says, and against itself. */
    static List<String> consistency(ArchiveIndex.StoredFile file) {
        List<String> found = new ArrayList<>();
        SegmentMetadata h = file.header();
        ArchiveLayout.FileName name = file.name();
        List<String> differences = new ArrayList<>();
        if (!h.topic().equals(name.topic())) {
            differences.add("topic " + h.topic());
        }
        if (h.partition() != name.partition()) {
            differences.add("partition " + h.partition());
        }
        if (h.windowStartMs() != name.windowStartMs()) {
            differences.add("window start " + TimeArgs.format(h.windowStartMs()));
        }
        if ((h.kind() == FileKind.SEGMENT) != name.segment() || (h.kind() == FileKind.BASELINE) != name.isBaseline()) {
            differences.add("kind " + h.kind().name().toLowerCase());
        }
        if (!name.segment() && !name.isBaseline() && (h.firstOffset() != name.firstOffset() || h.lastOffset() != name.lastOffset())) {
            differences.add("offsets " + h.firstOffset() + "-" + h.lastOffset());
        }
        if (name.segment() && h.generation() != name.generation()) {
            differences.add("generation " + h.generation());
        }
        if (!differences.isEmpty()) {
            found.add(file.key() + ": the header disagrees with the name: " + String.join(", ", differences));
        }
        if (h.pointCount() > 0 && (h.eventTimeMinMs() < h.windowStartMs() || h.eventTimeMaxMs() >= h.windowEndMs())) {
            found.add(file.key() + ": event times " + TimeArgs.format(h.eventTimeMinMs()) + ".." + TimeArgs.format(h.eventTimeMaxMs())
                    + " lie outside its window");
        }
        if (h.firstOffset() > h.lastOffset()) {
            found.add(file.key() + ": first offset " + h.firstOffset() + " after last offset " + h.lastOffset());
        }
        return found;
    }

    private List<String> againstCatalog(List<ArchiveIndex.StoredFile> stored) {
        Map<String, String> settings = new HashMap<>(kafka);
        settings.put("bootstrap.servers", catalogBootstrap);
        String topic = catalogTopic != null ? catalogTopic : archive.topic + "-catalog";
        Map<String, CatalogRecord> catalog = CatalogReader.read(settings, topic,
                WireFormats.forTopic(topic, CatalogRecord.class, Optional.ofNullable(schemaRegistry), Optional.empty()),
                Duration.ofSeconds(60));
        List<String> found = new ArrayList<>();
        Map<String, ArchiveIndex.StoredFile> byKey = new HashMap<>();
        stored.forEach(f -> byKey.put(f.key(), f));
        String topicPrefix = ArchiveLayout.VERSION + "/" + archive.topic + "/";
        catalog.forEach((path, record) -> {
            ArchiveIndex.StoredFile file = byKey.get(path);
            if (file == null) {
                if (path.startsWith(topicPrefix)) {
                    found.add(path + ": missing (the catalog records it, storage does not hold it)");
                }
            } else if (file.size() != record.getByteSize()) {
                found.add(path + ": " + file.size() + " bytes in storage, " + record.getByteSize() + " in the catalog");
            }
        });
        // A baseline's files are never in the catalog: they do not come from Kafka.
        stored.stream().filter(f -> !f.name().isBaseline() && !catalog.containsKey(f.key())).forEach(f -> found.add(f.key()
                + ": orphan (in storage, not in the catalog: written by an archiver that stopped before committing it;"
                + " restores read it harmlessly, its points are also in a committed file)"));
        return found;
    }
}
