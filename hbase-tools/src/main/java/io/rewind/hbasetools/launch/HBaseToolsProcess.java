package io.rewind.hbasetools.launch;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code HBaseTools} in a child JVM, with HBase's server jars on its classpath and nowhere else. Its classpath is a
 * {@link RuntimeClasspath}. The child
 * ends with the parent: its stdin closes, and it is destroyed on {@link #close()}.
 */
public final class HBaseToolsProcess implements AutoCloseable {
    /** JDK 17 needs these for HBase 2.6, as HBase's own launch scripts pass them. */
    public static final List<String> JDK17_FLAGS = List.of(
            "--add-opens=java.base/java.lang=ALL-UNNAMED",
            "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
            "--add-opens=java.base/java.nio=ALL-UNNAMED",
            "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
            "--add-opens=java.base/java.util=ALL-UNNAMED",
            "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
            "--add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED",
            "--add-opens=java.base/java.io=ALL-UNNAMED",
            "--add-opens=java.base/java.net=ALL-UNNAMED",
            "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED",
            "--add-exports=java.base/sun.net.dns=ALL-UNNAMED",
            "--add-exports=java.base/sun.net.util=ALL-UNNAMED",
            "--add-exports=java.security.jgss/sun.security.krb5=ALL-UNNAMED",
            "-Dorg.apache.hbase.thirdparty.io.netty.tryReflectionSetAccessible=true");

    private static final int STDERR_LINES = 40;

    private final Process process;
    private final String what;
    private final Deque<String> stderr = new ArrayDeque<>();
    private final Thread stderrReader;

    private HBaseToolsProcess(Process process, String what) {
        this.process = process;
        this.what = what;
        this.stderrReader = new Thread(this::readStderr, "rewind-hbase-tools-stderr");
        stderrReader.setDaemon(true);
        stderrReader.start();
    }

    /** Starts {@code HBaseTools <arguments>}. */
    public static HBaseToolsProcess start(List<String> arguments) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Xmx" + System.getProperty("rewind.hbase-tools.heap", "1g"));
        command.add("-XX:+UseParallelGC");
        command.add("-XX:+DisplayVMOutputToStderr"); // stdout carries the tools' answers and rows, nothing else
        String options = System.getProperty("rewind.hbase-tools.java-options", "").trim(); // a profiler's, say
        if (!options.isEmpty()) {
            command.addAll(List.of(options.split("\\s+")));
        }
        command.addAll(JDK17_FLAGS);
        command.add("-cp");
        command.add(String.join(java.io.File.pathSeparator, classpath().stream().map(Path::toString).toList()));
        command.add("io.rewind.hbasetools.HBaseTools");
        command.addAll(arguments);
        Process process = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.PIPE).start();
        return new HBaseToolsProcess(process, "HBaseTools " + arguments.get(0));
    }

    /** The child's stdin. */
    public OutputStream input() {
        return process.getOutputStream();
    }

    /** The child's stdout, as bytes. */
    public java.io.InputStream rawOutput() {
        return process.getInputStream();
    }

    /** The child's stdout, line by line. */
    public BufferedReader output() {
        return new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    }

    /** Waits (a while) for the child to end, then gives its errors. */
    public String waitForErrors() throws InterruptedException {
        if (process.waitFor(10, TimeUnit.SECONDS)) {
            stderrReader.join(TimeUnit.SECONDS.toMillis(5));
        }
        return errors();
    }

    /** The child's last lines on stderr, its own error line first when it wrote one. */
    public String errors() {
        synchronized (stderr) {
            return stderr.stream().filter(line -> line.startsWith("error ")).map(line -> line.substring(6)).findFirst()
                    .orElse(String.join(" | ", stderr));
        }
    }

    private void readStderr() {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8))) {
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                synchronized (stderr) {
                    if (stderr.size() == STDERR_LINES) {
                        stderr.removeFirst();
                    }
                    stderr.addLast(line);
                }
            }
        } catch (IOException e) {
            // the child is gone
        }
    }

    /** Stops the child at once. */
    public void kill() {
        process.destroyForcibly();
    }

    /** Stops the child: given a moment to end on its own once its stdin is closed, then destroyed. */
    @Override
    public void close() {
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    /** The child's classpath: this jar first, then HBase's. */
    static List<Path> classpath() {
        return RuntimeClasspath.of("hbase-tools", "HBase's tools");
    }
}
