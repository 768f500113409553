package io.rewind.service.config;

import java.net.URI;
import java.util.Optional;

/**
 * The Schema Registry settings every component that reads or writes Rewind's topics has: when a
 * registry is given, records are in Confluent's wire format; when not, in Avro single-object encoding.
 */
public final class SchemaRegistrySettings {
    public static final Setting<Optional<URI>> URL = new Setting<>("schema.registry.url", "",
            "A Confluent Schema Registry: when set, Rewind's records on Kafka are in Confluent's wire format; empty: Avro single-object encoding.",
            Parsers.optional(Parsers.httpUrl()));
    public static final Setting<Optional<String>> USER_INFO = new Setting<>("schema.registry.basic.auth.user.info", "",
            "user:password for the Schema Registry.", Parsers.optional(text -> text));

    private SchemaRegistrySettings() {
    }
}
