package io.rewind.devstack;

import io.rewind.devstack.process.Await;
import io.rewind.devstack.process.JavaProcess;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * A real S3 API server in its own JVM: S3Proxy over a local directory (one sub-directory per bucket), with AWS
 * signature authentication, on a free loopback port. An S3 store where none can be rented: what Rewind's storage talks
 * to is the S3 protocol, signatures included. Its own JVM also keeps its jars (a newer Guava) away from OpenTSDB's.
 */
public final class S3Server extends DevServer {
    public static final String ACCESS_KEY = "rewind-dev";
    public static final String SECRET_KEY = "rewind-dev-secret";
    private static final String MAIN = "org.gaul.s3proxy.Main";

    private final int port;

    S3Server(Path dir, boolean watched) {
        super(dir, watched, Duration.ofSeconds(10));
        this.port = Ports.free();
    }

    /** Starts a server alone, for tests that need S3 and nothing else; {@code watched}: it dies with this JVM. */
    public static S3Server startAlone(Path dir, boolean watched) throws IOException {
        S3Server server = new S3Server(dir, watched);
        server.start();
        return server;
    }

    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + port);
    }

    /** The credentials it accepts, as the AWS SDK reads them from the environment. */
    public Map<String, String> environment() {
        return Map.of("AWS_ACCESS_KEY_ID", ACCESS_KEY, "AWS_SECRET_ACCESS_KEY", SECRET_KEY, "AWS_REGION", "us-east-1");
    }

    /** Gives this JVM's AWS clients its credentials, through the AWS default chain as a user's would get them. */
    public void useInThisJvm() {
        System.setProperty("aws.accessKeyId", ACCESS_KEY);
        System.setProperty("aws.secretAccessKey", SECRET_KEY);
    }

    /** Creates the bucket (if it does not exist) and returns a Rewind storage URI in it under {@code prefix}. */
    public String bucket(String bucket, String prefix) {
        try {
            Files.createDirectories(dir.resolve("data").resolve(bucket));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return "s3://" + bucket + "/" + prefix + "?endpoint=" + endpoint() + "&region=us-east-1&path-style=true";
    }

    public synchronized void start() throws IOException {
        if (process != null && process.isAlive()) {
            return;
        }
        Files.createDirectories(dir.resolve("data"));
        Properties props = new Properties();
        props.setProperty("s3proxy.endpoint", endpoint().toString());
        props.setProperty("s3proxy.authorization", "aws-v2-or-v4");
        props.setProperty("s3proxy.identity", ACCESS_KEY);
        props.setProperty("s3proxy.credential", SECRET_KEY);
        props.setProperty("jclouds.provider", "filesystem");
        props.setProperty("jclouds.filesystem.basedir", dir.resolve("data").toString());
        Path config = dir.resolve("s3proxy.properties");
        try (var out = Files.newBufferedWriter(config)) {
            props.store(out, "Rewind dev stack: S3 API (S3Proxy over a directory)");
        }
        process = JavaProcess.start(new JavaProcess.Spec("s3", ServerRuntime.classpath("s3"),
                List.of("-Xmx256m", "-Dlogback.configurationFile=" + DevLogging.write(dir, "s3", Map.of())), MAIN,
                List.of("--properties", config.toString()), dir, dir.resolve("logs").resolve("s3.log")), watched);
        JavaProcess started = process;
        Await.until("the S3 server at " + endpoint(), Duration.ofSeconds(60), started::checkAlive, () -> {
            try {
                HttpURLConnection http = (HttpURLConnection) endpoint().toURL().openConnection();
                http.setConnectTimeout(1000);
                return http.getResponseCode() > 0; // any answer, even 403 to an unsigned request: it serves
            } catch (IOException notYet) {
                return false;
            }
        });
    }

    @Override
    public String toString() {
        return "S3 " + endpoint();
    }
}
