package io.rewind.archiver;

import static org.assertj.core.api.Assertions.assertThat;

import io.rewind.archive.storage.local.LocalStorage;
import io.rewind.devstack.DevStack;
import io.rewind.devstack.junit.DevStackExtension;
import io.rewind.devstack.process.Await;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The archiver as its own process, killed with SIGKILL again and again while points arrive. */
@ExtendWith(DevStackExtension.class)
class ArchiverCrashIT {
    static final long HOUR = 3_600_000L;
    static final int KILLS = 10;

    @TempDir
    Path dir;

    @Test
    void killedTenTimesDuringLoadTheArchiverStillHoldsEveryPointExactlyOnce(DevStack stack) throws Exception {
        String topic = "it-archive-crash";
        stack.kafka().createTopic(topic, 4, Map.of());
        long start = (System.currentTimeMillis() / HOUR - 6) * HOUR;
        PointLoad load = new PointLoad(start, 3 * HOUR, 300, 1000, 0.02, 3);
        Path archive = dir.resolve("archive");
        Random random = new Random(7);
        try (LocalStorage storage = new LocalStorage(archive);
                KafkaProducer<byte[], byte[]> producer = PointLoad.producer(stack.kafka().bootstrapServers())) {
            Process[] running = {null};
            int[] kills = {0};
            load.send(producer, topic, () -> {
                if (kills[0] >= KILLS) {
                    return;
                }
                try {
                    // Every 10,000 points sent: make sure an archiver runs, let it write a random number of files, kill it.
                    if (running[0] == null) {
                        running[0] = archiver(stack, topic, archive, kills[0]);
                    }
                    Process archiver = running[0];
                    long before = ArchiverIT.keys(storage).size();
                    int more = 1 + random.nextInt(3);
                    Await.until("the archiver to write " + more + " more files", Duration.ofSeconds(90),
                            () -> assertThat(archiver.isAlive()).as("archiver alive").isTrue(),
                            () -> ArchiverIT.keys(storage).size() >= before + more);
                    archiver.destroyForcibly().waitFor();
                    running[0] = null;
                    kills[0]++;
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            assertThat(kills[0]).isEqualTo(KILLS);
            Process last = archiver(stack, topic, archive, KILLS);
            try {
                ArchiverIT.awaitArchived(stack, topic, storage, Duration.ofMinutes(5));
                ArchiverIT.assertArchivedExactly(stack, topic, storage, load);
            } finally {
                last.destroy();
                last.waitFor();
            }
        }
    }

    private Process archiver(DevStack stack, String topic, Path archive, int run) throws IOException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m", "-cp", System.getProperty("java.class.path"), Archiver.class.getName(),
                "--bootstrap.servers=" + stack.kafka().bootstrapServers(), "--topic=" + topic, "--application.id=rewind-" + topic,
                "--storage=" + archive, "--state.dir=" + dir.resolve("state"), "--commit.interval.ms=1s", "--grace.ms=0",
                "--compaction.delete.delay.ms=0", "--compaction.check.interval.ms=500ms", "--admin.port=0",
                // A restarted instance takes the place of the killed one at once instead of waiting for its session to expire.
                "--kafka.group.instance.id=archiver", "--kafka.session.timeout.ms=10000"));
        return new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("archiver.log").toFile())).start();
    }
}
