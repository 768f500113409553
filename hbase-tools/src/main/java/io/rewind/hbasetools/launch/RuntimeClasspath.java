package io.rewind.hbasetools.launch;

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
 * The classpath of a program Rewind runs in a JVM of its own because its jars cannot share Rewind's (HBase's server,
 * the dev stack's Kafka, HBase and OpenTSDB). Its module resolves it at build time and ships it in its jar as
 * {@code rewind/runtime/<name>.classpath} (the local Maven repository's jars); that jar comes first. In an image that
 * holds the program as a component of its own ({@code bin/make-image}: {@code lib/<name>.classpath} beside the jar,
 * one entry per line, relative to the image), that list wins: a distribution carries the jars in {@code lib/}.
 */
public final class RuntimeClasspath {
    private RuntimeClasspath() {
    }

    /**
     * @param name the runtime's name, as in its resource
     * @param what what it is, for errors
     * @throws IllegalStateException when the runtime is not built, or names a jar that is gone
     */
    public static List<Path> of(String name, String what) {
        String resource = "rewind/runtime/" + name + ".classpath";
        URL url = RuntimeClasspath.class.getClassLoader().getResource(resource);
        if (url == null) {
            throw new IllegalStateException(what + " is not on the classpath (" + resource + "); build the project first:"
                    + " ./mvnw -q -DskipTests package");
        }
        Path container = containerOf(url, resource);
        Path listed = container.getParent() == null ? null : container.getParent().resolve(name + ".classpath");
        List<Path> classpath = new ArrayList<>();
        try {
            if (listed != null && Files.isRegularFile(listed)) {
                Path root = container.getParent().getParent();
                for (String line : Files.readAllLines(listed, StandardCharsets.UTF_8)) {
                    if (!line.isBlank()) {
                        classpath.add(line.startsWith("/") ? Path.of(line) : root.resolve(line));
                    }
                }
            } else {
                classpath.add(container);
                try (InputStream in = url.openStream()) {
                    for (String entry : new String(in.readAllBytes(), StandardCharsets.UTF_8).trim().split(java.io.File.pathSeparator)) {
                        classpath.add(Path.of(entry));
                    }
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("Cannot read " + url + ": " + e.getMessage(), e);
        }
        for (Path jar : classpath) {
            if (!Files.exists(jar)) {
                throw new IllegalStateException(what + " needs " + jar + ", which is gone (from the local Maven repository?);"
                        + " rebuild: ./mvnw -q -DskipTests package");
            }
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
            Path root = Path.of(url.toURI());
            for (int i = 0; i < resource.split("/").length; i++) {
                root = root.getParent();
            }
            return root;
        } catch (URISyntaxException | IOException e) {
            throw new IllegalStateException("Cannot locate " + url, e);
        }
    }
}
