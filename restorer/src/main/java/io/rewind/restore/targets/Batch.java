package io.rewind.restore.targets;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.rewind.schema.PointKind;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.List;

/**
 * One batch: at most a batch size of points of one kind, numbered within its unit. A batch an
 * earlier run wrote has no slices: it is counted, never encoded.
 */
public record Batch(String unit, int seq, PointKind kind, List<Slice> slices, int points) {
    private static final JsonFactory JSON = new JsonFactory();

    /** The batch as the JSON array of OpenTSDB's /api/put, /api/rollup or /api/histogram. */
    public byte[] json() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(points * 128 + 16);
        try (JsonGenerator json = JSON.createGenerator(bytes)) {
            json.writeStartArray();
            for (Slice slice : slices) {
                for (int i = slice.from(); i < slice.to(); i++) {
                    slice.series().writeJson(json, i);
                }
            }
            json.writeEndArray();
        }
        return bytes.toByteArray();
    }
}
