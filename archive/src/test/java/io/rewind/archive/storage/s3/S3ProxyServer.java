package io.rewind.archive.storage.s3;

import java.net.URI;
import java.util.Optional;
import java.util.Properties;
import org.gaul.s3proxy.BlobStores;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.blobstore.BlobStore;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A real S3 API server in the test JVM (S3Proxy over an in-memory blob store) on 127.0.0.1, with AWS
 * signature authentication, for the S3 storage's tests. It can be stopped and started again on the
 * same port with the same objects, as an outage. Always {@link #close()} it: its threads keep the
 * JVM alive.
 */
public final class S3ProxyServer implements AutoCloseable {
    public static final String ACCESS_KEY = "rewind-access";
    public static final String SECRET_KEY = "rewind-secret";

    private final BlobStore blobs = BlobStores.create("transient", new Properties());
    private S3Proxy proxy;
    private int port;

    public S3ProxyServer() throws Exception {
        start();
    }

    /** Serves again after {@link #stop()}, on the same port, with the objects it had. */
    public synchronized void start() throws Exception {
        proxy = S3Proxy.builder()
                .blobStore(blobs)
                .endpoint(URI.create("http://127.0.0.1:" + port))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY)
                .build();
        proxy.start();
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (!"STARTED".equals(proxy.getState())) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("S3Proxy did not start: " + proxy.getState());
            }
            Thread.onSpinWait();
        }
        port = proxy.getPort();
    }

    /** Stops serving: connections are refused until {@link #start()}. */
    public synchronized void stop() throws Exception {
        proxy.stop();
    }

    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + port);
    }

    /** Creates a bucket and returns the config of a storage in it, under the prefix. */
    public S3Config bucket(String bucket, String prefix) {
        try (S3Client s3 = S3Client.builder().endpointOverride(endpoint()).region(Region.US_EAST_1)
                .forcePathStyle(true).credentialsProvider(credentials()).build()) {
            s3.createBucket(b -> b.bucket(bucket));
        }
        return new S3Config(bucket, prefix, Optional.of(endpoint()), "us-east-1", true, credentials(), 3,
                S3Config.DEFAULT_MULTIPART_THRESHOLD, S3Config.DEFAULT_PART_SIZE);
    }

    public static StaticCredentialsProvider credentials() {
        return StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY));
    }

    @Override
    public void close() throws Exception {
        proxy.stop();
    }
}
