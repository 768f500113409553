package io.rewind.devstack;

import io.rewind.hbasetools.launch.RuntimeClasspath;
import java.nio.file.Path;
import java.util.List;

/**
 * The classpath of one server (kafka, hbase, opentsdb), resolved from Maven Central at build time by its runtime module
 * and shipped in that module's jar ({@link RuntimeClasspath}). The runtime jar itself comes first: it holds the server's
 * helper tools.
 */
final class ServerRuntime {
    private ServerRuntime() {
    }

    static List<Path> classpath(String server) {
        return RuntimeClasspath.of(server, "The " + server + " runtime");
    }
}
