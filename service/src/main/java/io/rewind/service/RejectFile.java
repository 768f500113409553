package io.rewind.service;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The points a target refused, one JSON object per line: the point as sent ({@code datapoint}),
 * the target's reason ({@code error}) and the target. Continued by a resumed restore, started over
 * by a fresh one.
 */
public final class RejectFile implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path file;
    private final BufferedWriter out;
    private long count;

    public RejectFile(Path file, boolean append) throws IOException {
        this.file = file;
        Files.createDirectories(file.toAbsolutePath().getParent());
        this.count = append && Files.exists(file) ? countLines(file) : 0;
        if (!append) {
            Files.write(file, new byte[0]); // emptied first, then appended to: a line is always written at the file's end
        }
        this.out = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }

    /** Counts refused points and keeps none: for a dry run. */
    public static RejectFile discarding() {
        return new RejectFile();
    }

    private RejectFile() {
        this.file = null;
        this.out = new BufferedWriter(java.io.Writer.nullWriter());
    }

    public Path file() {
        return file;
    }

    public void reject(JsonNode datapoint, String error, String target) throws IOException {
        ObjectNode line = JSON.createObjectNode();
        line.set("datapoint", datapoint);
        line.put("error", error);
        line.put("target", target);
        record(line);
    }

    /** Adds one line as it is: what was refused, and why. */
    public synchronized void record(ObjectNode line) throws IOException {
        out.write(JSON.writeValueAsString(line));
        out.write('\n');
        out.flush();
        count++;
    }

    /** Empties the file: a rerun that reads everything again refuses the same points again, and each once is enough. */
    public synchronized void startOver() throws IOException {
        out.flush();
        if (file != null) {
            try (java.nio.channels.FileChannel channel = java.nio.channels.FileChannel.open(file, StandardOpenOption.WRITE)) {
                channel.truncate(0);
            }
        }
        count = 0;
    }

    /** Rejects in the file, including those of earlier runs of a resumed restore. */
    public synchronized long count() {
        return count;
    }

    private static long countLines(Path file) throws IOException {
        try (var lines = Files.lines(file, StandardCharsets.UTF_8)) {
            return lines.filter(l -> !l.isBlank()).count();
        }
    }

    @Override
    public synchronized void close() throws IOException {
        out.close();
    }
}
