package io.rewind.archive.storage.s3;

import io.rewind.archive.storage.Keys;
import io.rewind.archive.storage.NoSuchObjectException;
import io.rewind.archive.storage.Storage;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.model.AbortMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.CompletedMultipartUpload;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Storage in an S3 bucket (AWS, or any S3 API: MinIO, Ceph, S3Proxy), under a key prefix. A put is a
 * single PutObject, or a multipart upload for large files, completed or aborted: S3 makes an object
 * visible only whole. Connection errors, timeouts, 5xx and throttling are retried by the SDK's
 * standard retry mode with backoff.
 */
public final class S3Storage implements Storage {
    private final S3Config config;
    private final S3Client s3;

    public S3Storage(S3Config config) {
        this.config = config;
        S3ClientBuilder builder = S3Client.builder()
                .region(Region.of(config.region()))
                .credentialsProvider(config.credentials())
                .forcePathStyle(config.pathStyle())
                // Many S3 servers other than AWS refuse the SDK's newer default request checksums.
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                .overrideConfiguration(o -> o.retryStrategy(
                        AwsRetryStrategy.standardRetryStrategy().toBuilder().maxAttempts(config.maxAttempts()).build()));
        config.endpoint().ifPresent(builder::endpointOverride);
        this.s3 = builder.build();
    }

    @Override
    public void put(String key, Path file) throws IOException {
        String objectKey = objectKey(key);
        long size = Files.size(file);
        try {
            if (size < config.multipartThresholdBytes()) {
                s3.putObject(b -> b.bucket(config.bucket()).key(objectKey).serverSideEncryption(config.sse().orElse(null))
                        .ssekmsKeyId(config.kmsKeyId().orElse(null)), RequestBody.fromFile(file));
            } else {
                multipartUpload(objectKey, file, size);
            }
        } catch (SdkException e) {
            throw failure("put", key, e);
        }
    }

    @Override
    public void put(String key, byte[] bytes) throws IOException {
        String objectKey = objectKey(key);
        try {
            s3.putObject(b -> b.bucket(config.bucket()).key(objectKey).serverSideEncryption(config.sse().orElse(null))
                    .ssekmsKeyId(config.kmsKeyId().orElse(null)), RequestBody.fromBytes(bytes));
        } catch (SdkException e) {
            throw failure("put", key, e);
        }
    }

    @Override
    public InputStream get(String key) throws IOException {
        return get(key, GetObjectRequest.builder().bucket(config.bucket()).key(objectKey(key)).build());
    }

    @Override
    public InputStream get(String key, long offset, long length) throws IOException {
        if (length <= 0) {
            return InputStream.nullInputStream();
        }
        return get(key, GetObjectRequest.builder().bucket(config.bucket()).key(objectKey(key))
                .range("bytes=" + offset + "-" + (offset + length - 1)).build());
    }

    private InputStream get(String key, GetObjectRequest request) throws IOException {
        try {
            return s3.getObject(request);
        } catch (NoSuchKeyException e) {
            throw new NoSuchObjectException(key, uri());
        } catch (S3Exception e) {
            if (e.statusCode() == 416) {
                return InputStream.nullInputStream();
            }
            throw failure("get", key, e);
        } catch (SdkException e) {
            throw failure("get", key, e);
        }
    }

    @Override
    public Optional<ObjectInfo> stat(String key) throws IOException {
        try {
            HeadObjectResponse head = s3.headObject(b -> b.bucket(config.bucket()).key(objectKey(key)));
            return Optional.of(new ObjectInfo(key, head.contentLength()));
        } catch (NoSuchKeyException e) {
            return Optional.empty();
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                return Optional.empty();
            }
            throw failure("stat", key, e);
        } catch (SdkException e) {
            throw failure("stat", key, e);
        }
    }

    @Override
    public Stream<ObjectInfo> list(String prefix) throws IOException {
        String root = config.prefix().isEmpty() ? "" : config.prefix() + "/";
        Iterator<S3Object> pages;
        try {
            pages = s3.listObjectsV2Paginator(b -> b.bucket(config.bucket()).prefix(root + prefix)).contents().iterator();
        } catch (SdkException e) {
            throw failure("list", prefix, e);
        }
        // Pages are requested as the stream is read: a failure then surfaces as an UncheckedIOException naming the prefix.
        Iterator<ObjectInfo> objects = new Iterator<>() {
            @Override
            public boolean hasNext() {
                try {
                    return pages.hasNext();
                } catch (SdkException e) {
                    throw new UncheckedIOException(failure("list", prefix, e));
                }
            }

            @Override
            public ObjectInfo next() {
                try {
                    S3Object o = pages.next();
                    return new ObjectInfo(o.key().substring(root.length()), o.size());
                } catch (SdkException e) {
                    throw new UncheckedIOException(failure("list", prefix, e));
                }
            }
        };
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(objects, Spliterator.ORDERED | Spliterator.NONNULL), false);
    }

    @Override
    public void delete(String key) throws IOException {
        try {
            s3.deleteObject(b -> b.bucket(config.bucket()).key(objectKey(key)));
        } catch (SdkException e) {
            throw failure("delete", key, e);
        }
    }

    @Override
    public URI uri() {
        return config.uri();
    }

    @Override
    public void close() {
        s3.close();
    }

    @Override
    public String toString() {
        return uri().toString();
    }

    private void multipartUpload(String objectKey, Path file, long size) throws IOException {
        String uploadId = s3.createMultipartUpload(b -> b.bucket(config.bucket()).key(objectKey)
                .serverSideEncryption(config.sse().orElse(null)).ssekmsKeyId(config.kmsKeyId().orElse(null))).uploadId();
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            List<CompletedPart> parts = new ArrayList<>();
            ByteBuffer buffer = ByteBuffer.allocate((int) config.partSizeBytes());
            for (int number = 1; (long) (number - 1) * config.partSizeBytes() < size; number++) {
                buffer.clear();
                while (buffer.hasRemaining() && channel.read(buffer) > 0) {
                    // fill the part
                }
                buffer.flip();
                int partNumber = number;
                String etag = s3.uploadPart(b -> b.bucket(config.bucket()).key(objectKey).uploadId(uploadId)
                        .partNumber(partNumber), RequestBody.fromByteBuffer(buffer)).eTag();
                parts.add(CompletedPart.builder().partNumber(partNumber).eTag(etag).build());
            }
            s3.completeMultipartUpload(b -> b.bucket(config.bucket()).key(objectKey).uploadId(uploadId)
                    .multipartUpload(CompletedMultipartUpload.builder().parts(parts).build()));
        } catch (IOException | RuntimeException e) {
            try {
                s3.abortMultipartUpload(AbortMultipartUploadRequest.builder()
                        .bucket(config.bucket()).key(objectKey).uploadId(uploadId).build());
            } catch (SdkException abortFailed) {
                e.addSuppressed(abortFailed);
            }
            throw e;
        }
    }

    private String objectKey(String key) {
        Keys.check(key);
        return config.prefix().isEmpty() ? key : config.prefix() + "/" + key;
    }

    private IOException failure(String operation, String key, SdkException e) {
        return new IOException("S3 " + operation + " of '" + key + "' in " + uri() + " failed: " + e.getMessage(), e);
    }
}
