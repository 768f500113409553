package io.rewind.archive.storage.s3;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.services.s3.model.ServerSideEncryption;

/**
 * Where and how to reach an S3 bucket. From a URI:
 * {@code s3://bucket/prefix?endpoint=http://minio:9000&region=us-east-1&path-style=true&max-attempts=10}, and
 * {@code sse=s3} or {@code sse=kms&sse-kms-key-id=...} for S3's server-side encryption of every object Rewind stores.
 * Credentials come from the AWS default chain (environment, profile, instance role) unless given.
 */
public record S3Config(String bucket, String prefix, Optional<URI> endpoint, String region, boolean pathStyle,
        AwsCredentialsProvider credentials, int maxAttempts, long multipartThresholdBytes, long partSizeBytes,
        Optional<ServerSideEncryption> sse, Optional<String> kmsKeyId) {

    public S3Config(String bucket, String prefix, Optional<URI> endpoint, String region, boolean pathStyle,
            AwsCredentialsProvider credentials, int maxAttempts, long multipartThresholdBytes, long partSizeBytes) {
        this(bucket, prefix, endpoint, region, pathStyle, credentials, maxAttempts, multipartThresholdBytes, partSizeBytes,
                Optional.empty(), Optional.empty());
    }

    public static final long DEFAULT_MULTIPART_THRESHOLD = 16L << 20;
    public static final long DEFAULT_PART_SIZE = 8L << 20;
    private static final long MIN_PART_SIZE = 5L << 20;

    public S3Config {
        if (bucket == null || bucket.isBlank()) {
            throw new IllegalArgumentException("An S3 storage needs a bucket: s3://<bucket>/<prefix>");
        }
        prefix = prefix == null ? "" : prefix.replaceAll("^/+|/+$", "");
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("The 'max-attempts' value '" + maxAttempts + "' is invalid: must be >= 1");
        }
        if (partSizeBytes < MIN_PART_SIZE) {
            throw new IllegalArgumentException("The S3 part size " + partSizeBytes + " is invalid: S3 needs >= 5 MiB");
        }
    }

    public static S3Config fromUri(URI uri) {
        if (!"s3".equals(uri.getScheme())) {
            throw new IllegalArgumentException("Not an S3 URI: " + uri);
        }
        Map<String, String> query = query(uri);
        for (String name : query.keySet()) {
            if (!Map.of("endpoint", 1, "region", 1, "path-style", 1, "max-attempts", 1, "sse", 1, "sse-kms-key-id", 1).containsKey(name)) {
                throw new IllegalArgumentException("Unknown S3 storage option '" + name + "' in " + uri
                        + "; known: endpoint, region, path-style, max-attempts, sse, sse-kms-key-id");
            }
        }
        Optional<ServerSideEncryption> sse = Optional.ofNullable(query.get("sse")).map(value -> switch (value) {
            case "s3" -> ServerSideEncryption.AES256;
            case "kms" -> ServerSideEncryption.AWS_KMS;
            default -> throw new IllegalArgumentException("The 'sse' value '" + value + "' in " + uri
                    + " is invalid: s3 (SSE-S3) or kms (SSE-KMS, with sse-kms-key-id or the bucket's default key)");
        });
        Optional<String> kmsKeyId = Optional.ofNullable(query.get("sse-kms-key-id"));
        if (kmsKeyId.isPresent() && sse.orElse(null) != ServerSideEncryption.AWS_KMS) {
            throw new IllegalArgumentException("'sse-kms-key-id' in " + uri + " goes with sse=kms");
        }
        Optional<URI> endpoint = Optional.ofNullable(query.get("endpoint")).map(URI::create);
        return new S3Config(uri.getHost(), uri.getPath(), endpoint,
                query.getOrDefault("region", Optional.ofNullable(System.getenv("AWS_REGION")).orElse("us-east-1")),
                Boolean.parseBoolean(query.getOrDefault("path-style", Boolean.toString(endpoint.isPresent()))),
                DefaultCredentialsProvider.builder().build(),
                Integer.parseInt(query.getOrDefault("max-attempts", "10")),
                DEFAULT_MULTIPART_THRESHOLD, DEFAULT_PART_SIZE, sse, kmsKeyId);
    }

    /** The same settings with other credentials. */
    public S3Config withCredentials(AwsCredentialsProvider provider) {
        return new S3Config(bucket, prefix, endpoint, region, pathStyle, provider, maxAttempts, multipartThresholdBytes, partSizeBytes,
                sse, kmsKeyId);
    }

    /** The same settings, asking S3 to encrypt what it stores (SSE-S3, or SSE-KMS with the key, or the bucket's default key). */
    public S3Config withServerSideEncryption(ServerSideEncryption mode, Optional<String> kmsKey) {
        return new S3Config(bucket, prefix, endpoint, region, pathStyle, credentials, maxAttempts, multipartThresholdBytes, partSizeBytes,
                Optional.of(mode), kmsKey);
    }

    /** The same settings with another multipart threshold and part size. */
    public S3Config withMultipart(long thresholdBytes, long partBytes) {
        return new S3Config(bucket, prefix, endpoint, region, pathStyle, credentials, maxAttempts, thresholdBytes, partBytes, sse,
                kmsKeyId);
    }

    public URI uri() {
        return URI.create("s3://" + bucket + "/" + prefix);
    }

    private static Map<String, String> query(URI uri) {
        Map<String, String> params = new LinkedHashMap<>();
        String raw = uri.getRawQuery();
        if (raw == null || raw.isEmpty()) {
            return params;
        }
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            String name = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String value = eq < 0 ? "true" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            params.put(name, value);
        }
        return params;
    }
}
