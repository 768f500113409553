package io.rewind.archive.storage.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.rewind.archive.storage.Storage;
import io.rewind.archive.storage.StorageContractTest;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The storage contract against a real S3 API (S3Proxy on 127.0.0.1). */
class S3StorageIT extends StorageContractTest {
    private static final AtomicInteger BUCKETS = new AtomicInteger();
    private static S3ProxyServer s3;

    @BeforeAll
    static void startS3() throws Exception {
        s3 = new S3ProxyServer();
    }

    @AfterAll
    static void stopS3() throws Exception {
        s3.close();
    }

    @Override
    protected Storage newStorage() {
        // Multipart from 6 MiB up, in 5 MiB parts, so the contract's large objects take that path too.
        return new S3Storage(s3.bucket("rewind-" + BUCKETS.incrementAndGet(), "archive/prod")
                .withMultipart(6L << 20, 5L << 20));
    }

    @Test
    void aLargeFileGoesUpInPartsAndComesBackWhole() throws Exception {
        byte[] bytes = randomBytes(13 << 20, 9);
        Path file = Files.write(scratch.resolve("large"), bytes);

        storage.put("v1/large.avro", file);

        assertThat(read(storage.get("v1/large.avro"))).isEqualTo(bytes);
    }

    @Test
    void withServerSideEncryptionEveryObjectIsStoredEncryptedByS3() throws Exception {
        S3Config config = s3.bucket("rewind-sse-" + BUCKETS.incrementAndGet(), "archive").withMultipart(6L << 20, 5L << 20)
                .withServerSideEncryption(software.amazon.awssdk.services.s3.model.ServerSideEncryption.AES256, java.util.Optional.empty());
        try (S3Storage encrypted = new S3Storage(config);
                software.amazon.awssdk.services.s3.S3Client client = software.amazon.awssdk.services.s3.S3Client.builder()
                        .endpointOverride(s3.endpoint()).region(software.amazon.awssdk.regions.Region.US_EAST_1).forcePathStyle(true)
                        .credentialsProvider(S3ProxyServer.credentials()).build()) {
            encrypted.put("v1/small.avro", new byte[] {1, 2, 3});
            encrypted.put("v1/large.avro", Files.write(scratch.resolve("large-sse"), randomBytes(7 << 20, 3)));
            for (String key : java.util.List.of("archive/v1/small.avro", "archive/v1/large.avro")) {
                assertThat(client.headObject(b -> b.bucket(config.bucket()).key(key)).serverSideEncryption())
                        .as(key).isEqualTo(software.amazon.awssdk.services.s3.model.ServerSideEncryption.AES256);
            }
            assertThat(read(encrypted.get("v1/small.avro"))).containsExactly(1, 2, 3);
        }
        S3Config fromUri = S3Config.fromUri(URI.create("s3://backups/rewind?sse=kms&sse-kms-key-id=arn:aws:kms:eu-west-1:1:key/k"));
        assertThat(fromUri.sse()).contains(software.amazon.awssdk.services.s3.model.ServerSideEncryption.AWS_KMS);
        assertThat(fromUri.kmsKeyId()).contains("arn:aws:kms:eu-west-1:1:key/k");
        assertThatThrownBy(() -> S3Config.fromUri(URI.create("s3://backups/x?sse=yes"))).hasMessageContaining("The 'sse' value 'yes'");
        assertThatThrownBy(() -> S3Config.fromUri(URI.create("s3://backups/x?sse-kms-key-id=k"))).hasMessageContaining("goes with sse=kms");
    }

    @Test
    void theUriNamesBucketPrefixEndpointAndRegion() {
        S3Config config = S3Config.fromUri(URI.create(
                "s3://backups/rewind/prod?endpoint=http://127.0.0.1:9000&region=eu-west-1&max-attempts=4"));

        assertThat(config.bucket()).isEqualTo("backups");
        assertThat(config.prefix()).isEqualTo("rewind/prod");
        assertThat(config.endpoint()).contains(URI.create("http://127.0.0.1:9000"));
        assertThat(config.region()).isEqualTo("eu-west-1");
        assertThat(config.pathStyle()).isTrue();
        assertThat(config.maxAttempts()).isEqualTo(4);
        assertThatThrownBy(() -> S3Config.fromUri(URI.create("s3://backups/x?endpiont=http://h")))
                .hasMessageContaining("Unknown S3 storage option 'endpiont'");
    }
}
