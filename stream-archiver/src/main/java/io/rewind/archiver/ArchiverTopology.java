package io.rewind.archiver;

import io.rewind.archiver.buffer.PartBuffer;
import io.rewind.archiver.streams.PreCommitStore;
import io.rewind.schema.CatalogRecord;
import io.rewind.schema.wire.WireFormat;
import io.rewind.schema.wire.WireFormatSerde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.state.Stores;

/** The archiver's topology, built in one place for {@code main} and the tests alike. */
public final class ArchiverTopology {
    public static final String SOURCE = "points";
    public static final String PROCESSOR = "archive";
    public static final String SINK = "catalog";
    /** Added after the points' source: the points keep sub-topology 0, and so their tasks' ids and state (ArchiveProcessorTest). */
    public static final String GAPS_SOURCE = SOURCE + "-gaps";
    public static final String GAPS = PROCESSOR + "-gaps";
    public static final String PART_BUFFER = "rewind-part-buffer";
    public static final String WINDOWS = "rewind-windows";

    private ArchiverTopology() {
    }

    /**
     * points topic (raw bytes; decoded by the processor, so that a record that is not a point is
     * counted, not fatal) → archive processor (part buffer; window states, changelogged) → catalog topic; and the gaps topic →
     * each gap into the archive.
     */
    public static Topology build(ArchiverResources resources, WireFormat<CatalogRecord> catalogFormat) {
        ArchiverConfig config = resources.config();
        Topology topology = new Topology();
        topology.addSource(SOURCE, Serdes.ByteArray().deserializer(), Serdes.ByteArray().deserializer(), config.topic());
        topology.addProcessor(PROCESSOR, () -> new ArchiveProcessor(resources), SOURCE);
        topology.addStateStore(new PreCommitStore.Builder<>(PART_BUFFER, () -> new PartBuffer(PART_BUFFER, config.windowSizeMs(), resources.bufferBytes())), PROCESSOR);
        topology.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(WINDOWS), Serdes.Long(), Serdes.String())
                .withCachingDisabled(), PROCESSOR);
        topology.addSink(SINK, config.catalogTopic(), Serdes.String().serializer(),
                new WireFormatSerde<>(catalogFormat).serializer(), PROCESSOR);
        topology.addSource(GAPS_SOURCE, Serdes.ByteArray().deserializer(), Serdes.ByteArray().deserializer(), config.gapsTopic());
        topology.addProcessor(GAPS, () -> new GapKeeper(resources), GAPS_SOURCE);
        return topology;
    }
}
