package io.rewind.restore.serve;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.rewind.archive.ArchiveLayout;
import io.rewind.archive.segment.SegmentCorruptException;
import io.rewind.archive.segment.SegmentFiles;
import io.rewind.archive.segment.SegmentReader;
import io.rewind.archive.segment.SeriesPoints;
import io.rewind.archive.storage.ForwardingStorage;
import io.rewind.archive.storage.Storage;
import io.rewind.archive.storage.local.LocalStorage;
import io.rewind.restore.TestArchive;
import io.rewind.restore.source.ArchiveIndex;
import io.rewind.schema.TimestampPrecision;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** serve reads a file whole once, checked; then a metric's blocks alone, each checked against what the index recorded. */
class BlockIndexTest {
    private static final long T0 = 1_764_000_000_000L / TestArchive.HOUR * TestArchive.HOUR;

    @TempDir
    Path dir;

    @Test
    void aMetricIsReadFromItsBlocksAloneEachChecked() throws Exception {
        Path root = dir.resolve("archive");
        String key;
        try (Storage storage = new LocalStorage(root)) {
            List<TestArchive.Ingested> points = new ArrayList<>();
            Random random = new Random(3);
            for (String metric : List.of("a.first", "b.second", "c.third", "d.fourth", "e.fifth", "f.sixth")) {
                for (int s = 0; s < 150; s++) {
                    for (int i = 0; i < 360; i++) {
                        long t = T0 + i * 10_000L;
                        points.add(new TestArchive.Ingested(TestArchive.point(metric, t, TimestampPrecision.SECONDS, random.nextLong(),
                                Map.of("host", "h" + s)), t + 100));
                    }
                }
            }
            key = new TestArchive(storage, 1).commit(points).get(0);
        }
        List<String> first0;
        List<String> second0;
        try (Storage plain = new LocalStorage(root)) {
            first0 = whole(plain, key, "a.first");
            second0 = whole(plain, key, "b.second");
        }
        AtomicLong bytesRead = new AtomicLong();
        try (Storage storage = counting(new LocalStorage(root), bytesRead)) {
            long size = storage.stat(key).orElseThrow().size();
            ServeCache cache = new ServeCache(100_000_000);
            assertThat(read(cache, storage, key, "a.first")).isEqualTo(first0).hasSize(150);
            long first = bytesRead.getAndSet(0);
            assertThat(first).as("the first use reads the file whole").isGreaterThanOrEqualTo(size);

            assertThat(read(cache, storage, key, "b.second")).isEqualTo(second0).hasSize(150);
            long second = bytesRead.getAndSet(0);
            assertThat(cache.indexedReads()).isEqualTo(1);
            assertThat(second).as("the next metric reads its blocks alone").isLessThan(size / 2).isPositive();

            // A byte of the file changed after it was indexed: the block that holds it is refused, naming the file.
            Path file = root.resolve(key);
            byte[] bytes = Files.readAllBytes(file);
            bytes[bytes.length - 100] ^= 1;
            Files.write(file, bytes);
            assertThatThrownBy(() -> read(cache, storage, key, "f.sixth")).isInstanceOf(SegmentCorruptException.class)
                    .hasMessageContaining(key).hasMessageContaining("SHA-256");
        }
    }

    private static List<String> read(ServeCache cache, Storage storage, String key, String metric) throws IOException {
        List<String> out = new ArrayList<>();
        ArchiveIndex.StoredFile file = new ArchiveIndex.StoredFile(key, ArchiveLayout.parse(key).orElseThrow(), storage.stat(key).orElseThrow().size(),
                true, SegmentFiles.readHeader(storage, key));
        Iterator<SeriesPoints> it = cache.opener(metric, id -> true).open(storage, file, id -> true);
        it.forEachRemaining(s -> out.add(s.id() + ":" + s.size() + ":" + s.valueBits(0) + ":" + s.valueBits(s.size() - 1)));
        return out;
    }

    private static List<String> whole(Storage storage, String key, String metric) throws IOException {
        List<String> out = new ArrayList<>();
        try (SegmentReader reader = SegmentFiles.open(storage, key, id -> id.key().metric().equals(metric))) {
            reader.forEachRemaining(s -> out.add(s.id() + ":" + s.size() + ":" + s.valueBits(0) + ":" + s.valueBits(s.size() - 1)));
        }
        return out;
    }

    private static Storage counting(Storage storage, AtomicLong bytes) {
        return new ForwardingStorage(storage) {
            @Override
            public InputStream get(String key) throws IOException {
                return count(super.get(key), key);
            }

            @Override
            public InputStream get(String key, long offset, long length) throws IOException {
                return count(super.get(key, offset, length), key);
            }

            private InputStream count(InputStream in, String key) {
                if (key.endsWith(".sha256")) {
                    return in;
                }
                return new FilterInputStream(in) {
                    @Override
                    public int read() throws IOException {
                        int b = super.read();
                        if (b >= 0) {
                            bytes.incrementAndGet();
                        }
                        return b;
                    }

                    @Override
                    public int read(byte[] buffer, int off, int len) throws IOException {
                        int n = super.read(buffer, off, len);
                        if (n > 0) {
                            bytes.addAndGet(n);
                        }
                        return n;
                    }
                };
            }
        };
    }
}
