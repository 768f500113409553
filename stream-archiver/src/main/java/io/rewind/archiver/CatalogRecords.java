package io.rewind.archiver;

import io.rewind.archive.ArchiveLayout;
import io.rewind.schema.CatalogAction;
import io.rewind.schema.CatalogRecord;
import io.rewind.schema.FileKind;
import java.util.List;

/** Catalog records the archiver writes besides a file's own: the record that a file was deleted. */
final class CatalogRecords {
    private CatalogRecords() {
    }

    /** The DELETE record of a data file, with what its name says; its content is gone, so counts and checksum are empty. */
    static CatalogRecord deleted(String path, long windowSizeMs) {
        ArchiveLayout.FileName name = ArchiveLayout.parse(path)
                .orElseThrow(() -> new IllegalArgumentException("Not a data file of the archive: " + path));
        return CatalogRecord.newBuilder()
                .setPath(path).setAction(CatalogAction.DELETE).setKind(name.segment() ? FileKind.SEGMENT : FileKind.PART)
                .setTopic(name.topic()).setPartition(name.partition())
                .setWindowStartMs(name.windowStartMs()).setWindowEndMs(name.windowStartMs() + windowSizeMs)
                .setFirstOffset(name.firstOffset()).setLastOffset(name.lastOffset()).setGeneration(name.generation())
                .setEventTimeMinMs(0).setEventTimeMaxMs(0).setIngestTimeMinMs(0).setIngestTimeMaxMs(0)
                .setPointCount(0).setSeriesCount(0).setByteSize(0).setSha256("").setSupersedes(List.of())
                .build();
    }
}
