package io.rewind.schema.wire;

import org.apache.avro.Schema;

/**
 * The part of a Confluent-compatible Schema Registry that Rewind's wire format needs: register the
 * writer schema under a subject, and fetch a writer schema by its id. Implementations cache both.
 */
public interface SchemaRegistryClient {

    /** Registers the schema under the subject (or finds it already there) and returns its global id. */
    int register(String subject, Schema schema);

    /** The schema with this global id. */
    Schema schemaById(int id);
}
