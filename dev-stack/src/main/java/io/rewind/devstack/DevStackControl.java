package io.rewind.devstack;

import io.rewind.devstack.process.JavaProcess;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Properties;

/** Starting, inspecting and stopping a detached dev stack across processes, through its state file. */
public final class DevStackControl {
    private DevStackControl() {
    }

    /**
     * Starts a detached stack unless one already runs in {@code dir}, with the points topic created (the tap and the
     * archiver never create it); returns its endpoints.
     *
     * @param topic the points topic to create, or null for none
     */
    public static String up(Path dir, List<String> tsdNames, String topic, int partitions, PrintWriter out) throws IOException {
        Optional<Properties> state = StackState.read(dir);
        if (state.isPresent() && !StackState.running(state.get()).isEmpty()) {
            throw new IllegalStateException("A dev stack already runs in " + dir + "; see 'rewind dev status', or stop it: 'rewind dev down'");
        }
        out.println("Starting Kafka, HBase and OpenTSDB " + tsdNames + " in " + dir + " ...");
        out.flush();
        DevStack stack = DevStack.start(dir, tsdNames, false);
        if (topic != null) {
            stack.kafka().createTopic(topic, partitions, java.util.Map.of());
        }
        StackState.write(stack);
        return stack.describe() + (topic == null ? "" : String.format("%-22s %s (%d partitions)%n", "Points topic", topic, partitions));
    }

    /** Prints endpoints and servers; true when every server of the stack runs. */
    public static boolean status(Path dir, PrintWriter out) throws IOException {
        Optional<Properties> state = StackState.read(dir);
        if (state.isEmpty()) {
            out.println("No dev stack in " + dir + ". Start one: bin/rewind dev up");
            return false;
        }
        List<JavaProcess> running = StackState.running(state.get());
        List<String> names = List.of(state.get().getProperty("processes").split(","));
        out.print(state.get().getProperty("endpoints"));
        for (String name : names) {
            boolean up = running.stream().anyMatch(p -> p.name().equals(name));
            out.printf("%-22s %s%n", name, up ? "running (pid " + state.get().getProperty(name + ".pid") + ")" : "NOT RUNNING");
        }
        return running.size() == names.size();
    }

    public static void down(Path dir, PrintWriter out) throws IOException {
        List<JavaProcess> stopped = StackState.stop(dir);
        out.println(stopped.isEmpty() ? "No dev stack runs in " + dir + "." : "Stopped " + stopped + ".");
    }
}
