package io.rewind.schema.wire;

import java.net.URI;
import java.time.Duration;
import java.util.Optional;
import org.apache.avro.specific.SpecificRecord;

/** Chooses the wire format of a topic: Confluent's when a Schema Registry is configured, single-object otherwise. */
public final class WireFormats {
    private WireFormats() {
    }

    /**
     * @param registryUrl the Schema Registry's URL, or empty for the self-contained single-object encoding
     * @param basicAuthUserInfo {@code user:password} for the registry, if it needs it
     */
    public static <T extends SpecificRecord> WireFormat<T> forTopic(String topic, Class<T> type,
            Optional<URI> registryUrl, Optional<String> basicAuthUserInfo) {
        return registryUrl
                .<WireFormat<T>>map(url -> new ConfluentWireFormat<>(
                        new HttpSchemaRegistryClient(url, basicAuthUserInfo, Duration.ofSeconds(10)),
                        ConfluentWireFormat.valueSubject(topic), type))
                .orElseGet(() -> new SingleObjectWireFormat<>(type));
    }
}
