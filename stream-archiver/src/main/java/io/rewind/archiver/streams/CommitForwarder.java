package io.rewind.archiver.streams;

import java.util.List;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.internals.InternalProcessorContext;
import org.apache.kafka.streams.processor.internals.ProcessorNode;
import org.apache.kafka.streams.processor.internals.ProcessorRecordContext;

/**
 * Forwards records from the archive processor while Kafka Streams prepares a commit, so that they are
 * sent in the transaction that commits the offsets. Kafka Streams only lets a processor forward while
 * it processes a record or punctuates; its own caching stores forward at commit time by setting the
 * current node, and this does the same (internal API of Kafka Streams 4.3, checked by
 * {@code PreCommitStoreIT} against the real broker).
 */
public final class CommitForwarder<K, V> {
    private final InternalProcessorContext<K, V> context;
    private final ProcessorNode<?, ?, ?, ?> node;

    @SuppressWarnings("unchecked")
    public CommitForwarder(ProcessorContext<K, V> context) {
        this.context = (InternalProcessorContext<K, V>) context;
        this.node = this.context.currentNode();
    }

    /** Forwards the records from the processor this was made in; call it from {@link PreCommitStore#beforeCommit}. */
    public void forward(List<Record<K, V>> records) {
        ProcessorNode<?, ?, ?, ?> previousNode = context.currentNode();
        ProcessorRecordContext previousRecord = context.recordContext();
        context.setCurrentNode(node);
        context.setRecordContext(new ProcessorRecordContext(System.currentTimeMillis(), -1, -1, null, new RecordHeaders()));
        try {
            records.forEach(context::forward);
        } finally {
            context.setCurrentNode(previousNode);
            context.setRecordContext(previousRecord);
        }
    }
}
