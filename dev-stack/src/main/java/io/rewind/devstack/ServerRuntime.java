package io.rewind.devstack;

import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The classpath of one server (kafka, hbase, opentsdb), resolved from Maven Central at build time by
 * its runtime module and shipped in that module's jar as {@code rewind/runtime/<name>.classpath}. The
 * runtime jar itself comes first: it holds the server's helper tools.
 */
final class ServerRuntime {
    private ServerRuntime() {
    }

    static List<Path> classpath(String server) {
        String resource = "rewind/runtime/" + server + ".classpath";
        URL url = ServerRuntime.class.getClassLoader().getResource(resource);
        if (url == null) {
            throw new IllegalStateException("The " + server + " runtime is not on the classpath (" + resource
                    + "); build the project first: ./mvnw -q -DskipTests package");
        }
        List<Path> classpath = new ArrayList<>();
        classpath.add(containerOf(url, resource));
        try (InputStream in = url.openStream()) {
            for (String entry : new String(in.readAllBytes(), StandardCharsets.UTF_8).trim().split(java.io.File.pathSeparator)) {
                Path jar = Path.of(entry);
                if (!Files.exists(jar)) {
                    throw new IllegalStateException("The " + server + " runtime names " + jar
                            + ", which is gone from the local Maven repository; rebuild: ./mvnw -q -DskipTests package");
                }
                classpath.add(jar);
            }
        } catch (IOException e) {
            throw new IllegalStateException("Cannot read " + url + ": " + e.getMessage(), e);
        }
        return classpath;
    }

    /** The jar or classes directory a resource was found in. */
    private static Path containerOf(URL url, String resource) {
        try {
            String text = url.toString();
            if (text.startsWith("jar:")) {
                return Path.of(new URL(text.substring(4, text.indexOf("!/"))).toURI());
            }
            Path file = Path.of(url.toURI());
            Path root = file;
            for (int i = 0; i < resource.split("/").length; i++) {
                root = root.getParent();
            }
            return root;
        } catch (URISyntaxException | IOException e) {
            throw new IllegalStateException("Cannot locate " + url, e);
        }
    }
}
