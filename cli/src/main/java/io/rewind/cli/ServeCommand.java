package io.rewind.cli;

import io.rewind.archive.storage.Storage;
import io.rewind.restore.serve.ServeServer;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "serve", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Serves the archive read-only as OpenTSDB 2.4's HTTP read API (/api/query GET and POST, /api/suggest,",
                "/api/search/lookup, /api/version, /api/aggregators, /api/config/filters), answering as a TSD holding the archive",
                "restored would, plus 'as_of' (a query parameter, or a field of the POST body): the data as the archive held it at",
                "that moment. Point Grafana's OpenTSDB data source (version 2.3) at it to plot the archive beside production.",
                "Runs until stopped (SIGTERM, Ctrl-C)."})
final class ServeCommand implements Callable<Integer> {
    @Mixin
    ArchiveOptions archive;

    @Option(names = "--listen", defaultValue = "127.0.0.1:4243", paramLabel = "HOST:PORT",
            description = "Where to listen (default: ${DEFAULT-VALUE}; port 0 picks a free one). The archive's data is readable by whoever reaches it.")
    String listen;

    @Option(names = "--cache-points", defaultValue = "10000000", paramLabel = "N",
            description = {"Decoded points kept in memory between queries (about 24 bytes each; default: ${DEFAULT-VALUE}): the files",
                    "a dashboard reads again are checked and decoded once."})
    long cachePoints;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        int colon = listen.lastIndexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("--listen is HOST:PORT, e.g. 127.0.0.1:4243: " + listen);
        }
        String host = listen.substring(0, colon);
        int port;
        try {
            port = Integer.parseInt(listen.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--listen is HOST:PORT, e.g. 127.0.0.1:4243: " + listen);
        }
        Storage storage = archive.open();
        ServeServer server;
        try {
            server = ServeServer.start(storage, archive.topic, host, port, cachePoints);
        } catch (RuntimeException | java.io.IOException e) {
            storage.close();
            throw e;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Thread stopper = new Thread(() -> {
            server.close();
            stopped.countDown();
        }, "rewind-serve-stop");
        Runtime.getRuntime().addShutdownHook(stopper);
        PrintWriter out = spec.commandLine().getOut();
        out.printf("Serving '%s' of %s as OpenTSDB's read API on http://%s:%d (as_of=TIME shows it as it was then). Stop with Ctrl-C.%n",
                archive.topic, storage.uri(), host, server.port());
        out.flush();
        stopped.await();
        return RewindCli.OK;
    }
}
