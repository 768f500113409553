package io.rewind.tap.delivery;

import org.apache.kafka.common.InvalidRecordException;
import org.apache.kafka.common.errors.RecordBatchTooLargeException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.SerializationException;

/** How the tap tells Kafka's errors apart. */
final class KafkaErrors {
    private KafkaErrors() {
    }

    /**
     * True when Kafka refuses this record itself and would refuse it again however often it is sent (larger than
     * {@code max.request.size} or the topic's {@code max.message.bytes}, or invalid): retrying it would stall every point
     * behind it. Any other error (Kafka away, a broker moving, authorisation) is about Kafka, not the record: retried.
     */
    static boolean refusesRecord(Throwable error) {
        return error instanceof RecordTooLargeException || error instanceof RecordBatchTooLargeException
                || error instanceof InvalidRecordException || error instanceof SerializationException;
    }
}
