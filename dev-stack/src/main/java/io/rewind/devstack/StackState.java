package io.rewind.devstack;

import io.rewind.devstack.process.JavaProcess;
import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Properties;

/**
 * What {@code rewind dev up} leaves behind for {@code status} and {@code down}: each server's pid and
 * start time (so a recycled pid is never mistaken for a server), and the endpoints.
 */
final class StackState {
    static final String FILE = "stack.properties";

    private StackState() {
    }

    static void write(DevStack stack) throws IOException {
        Properties props = new Properties();
        List<String> names = new ArrayList<>();
        for (JavaProcess process : stack.processes()) {
            names.add(process.name());
            props.setProperty(process.name() + ".pid", Long.toString(process.pid()));
            props.setProperty(process.name() + ".started", process.startInstant().toString());
            props.setProperty(process.name() + ".log", process.log().toString());
        }
        props.setProperty("processes", String.join(",", names));
        props.setProperty("endpoints", stack.describe());
        try (Writer out = Files.newBufferedWriter(stack.dir().resolve(FILE))) {
            props.store(out, "Rewind dev stack started by 'rewind dev up'");
        }
    }

    static Optional<Properties> read(Path dir) throws IOException {
        Path file = dir.resolve(FILE);
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        Properties props = new Properties();
        try (Reader in = Files.newBufferedReader(file)) {
            props.load(in);
        }
        return Optional.of(props);
    }

    /** The servers of the stack in {@code dir} that still run, in start order. */
    static List<JavaProcess> running(Properties state) {
        List<JavaProcess> running = new ArrayList<>();
        for (String name : state.getProperty("processes", "").split(",")) {
            if (name.isEmpty()) {
                continue;
            }
            JavaProcess.attach(name, Long.parseLong(state.getProperty(name + ".pid")),
                    Instant.parse(state.getProperty(name + ".started")), Path.of(state.getProperty(name + ".log")))
                    .filter(JavaProcess::isAlive)
                    .ifPresent(running::add);
        }
        return running;
    }

    /** Stops the servers in reverse start order and forgets the stack; returns what was stopped. */
    static List<JavaProcess> stop(Path dir) throws IOException {
        Optional<Properties> state = read(dir);
        if (state.isEmpty()) {
            return List.of();
        }
        List<JavaProcess> running = running(state.get());
        Collections.reverse(running);
        for (JavaProcess process : running) {
            process.stop(Duration.ofSeconds(30));
        }
        Files.deleteIfExists(dir.resolve(FILE));
        return running;
    }
}
