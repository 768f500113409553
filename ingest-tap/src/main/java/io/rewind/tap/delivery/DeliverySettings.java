package io.rewind.tap.delivery;

import java.util.Properties;

/**
 * What the delivery to Kafka needs of the tap's configuration: the topic and the gaps topic, how many bytes may be in the
 * producers at once, what to do when the spool is full, whether every point goes through the spool
 * first ({@code durability=wal}), and the settings of its two producers.
 */
public record DeliverySettings(String topic, String gapsTopic, long windowBytes, FullPolicy fullPolicy, boolean wal, Properties producer,
        Properties awaitedProducer) {

    /** What to do when the spool is full. */
    public enum FullPolicy {
        BLOCK, PASS_THROUGH
    }
}
