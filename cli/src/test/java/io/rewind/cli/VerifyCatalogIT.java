package io.rewind.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.rewind.archive.segment.SegmentFiles;
import io.rewind.archive.storage.local.LocalStorage;
import io.rewind.devstack.DevStack;
import io.rewind.devstack.junit.DevStackExtension;
import io.rewind.restore.TestArchive;
import io.rewind.schema.CatalogAction;
import io.rewind.schema.CatalogRecord;
import io.rewind.schema.wire.SingleObjectWireFormat;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** verify against the catalog topic on a real broker: a file storage lost, and an orphan the catalog never recorded. */
@ExtendWith(DevStackExtension.class)
class VerifyCatalogIT {
    private static final long W = 1_763_640_000_000L;

    @Test
    void verifyNamesAMissingFileAndAnOrphan(DevStack stack, @TempDir Path dir) throws Exception {
        List<String> keys;
        try (LocalStorage storage = new LocalStorage(dir)) {
            keys = new TestArchive(storage, 2).commit(TestArchive.ingestedAt(TestArchive.workload("cat", W, 90, 3), W + 3 * TestArchive.HOUR));
        }
        String orphan = keys.get(0);
        String missing = keys.get(1);
        String deleted = keys.get(2);
        String topic = "verify-catalog-it";
        stack.kafka().createTopic(topic, 1, Map.of("cleanup.policy", "compact"));
        SingleObjectWireFormat<CatalogRecord> format = new SingleObjectWireFormat<>(CatalogRecord.class);
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafka().bootstrapServers());
        try (LocalStorage storage = new LocalStorage(dir);
                KafkaProducer<String, byte[]> producer = new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer())) {
            for (String key : keys.subList(1, keys.size())) {
                CatalogRecord record = io.rewind.archive.segment.SegmentFiles.readHeader(storage, key).toCatalogRecord(key, storage.stat(key).orElseThrow().size(),
                        SegmentFiles.sidecarSha256(storage, key).orElseThrow());
                producer.send(new ProducerRecord<>(topic, key, format.encode(record)));
                if (key.equals(deleted)) {
                    record.setAction(CatalogAction.DELETE);
                    producer.send(new ProducerRecord<>(topic, key, format.encode(record)));
                }
            }
            producer.flush();
        }
        Files.delete(dir.resolve(missing));
        Files.delete(dir.resolve(missing + SegmentFiles.SIDECAR_SUFFIX));

        CliRun run = CliRun.of("verify", "--archive", dir.toString(), "--catalog-bootstrap", stack.kafka().bootstrapServers(),
                "--catalog-topic", topic);

        assertThat(run.exitCode()).as(run.out() + run.err()).isEqualTo(RewindCli.PROBLEMS);
        List<String> problems = run.out().lines().filter(l -> l.startsWith("PROBLEM")).toList();
        assertThat(problems).hasSize(3)
                .anySatisfy(p -> assertThat(p).contains(missing + ": missing (the catalog records it"))
                .anySatisfy(p -> assertThat(p).contains(orphan + ": orphan"))
                .anySatisfy(p -> assertThat(p).contains(deleted + ": orphan"));
    }
}
