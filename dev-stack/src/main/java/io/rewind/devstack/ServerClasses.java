package io.rewind.devstack;

import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.List;

/**
 * A server's own classes (kafka, hbase, opentsdb) in a class loader of their own, with the libraries that server runs
 * with (OpenTSDB 2.4.1's Jackson 2.9, not Rewind's): for tests that ask a server's code what it does with an input.
 */
public final class ServerClasses {
    private ServerClasses() {
    }

    /** The server's classpath, as its process in the dev stack runs it, over the platform classes only. */
    public static URLClassLoader loader(String server) {
        List<Path> classpath = ServerRuntime.classpath(server);
        URL[] urls = new URL[classpath.size()];
        for (int i = 0; i < urls.length; i++) {
            try {
                urls[i] = classpath.get(i).toUri().toURL();
            } catch (MalformedURLException e) {
                throw new IllegalStateException(e);
            }
        }
        return new URLClassLoader("rewind-" + server, urls, ClassLoader.getPlatformClassLoader());
    }
}
