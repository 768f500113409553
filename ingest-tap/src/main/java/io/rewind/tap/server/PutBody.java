package io.rewind.tap.server;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufInputStream;
import io.netty.buffer.ByteBufUtil;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.rewind.schema.PointKind;
import io.rewind.tap.metrics.TapMetrics;
import io.rewind.tap.protocol.JsonPutParser;
import io.rewind.tap.protocol.Rejection;
import io.rewind.tap.record.PointRecord;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.GZIPInputStream;
import java.util.zip.InflaterInputStream;

/**
 * The body of an HTTP put, as the tap reads it: first inflated ({@code gzip}, {@code deflate}) within
 * {@code http.max.body.bytes}, so that a small body inflating without bound costs no more than a large one
 * (413, as for a body over the limit), then read as OpenTSDB reads it into the points to publish.
 */
final class PutBody {
    /** A body that inflates past {@code http.max.body.bytes}. */
    static final class TooLarge extends IOException {
        TooLarge(long maxBytes) {
            super("The request body inflates to more than http.max.body.bytes (" + maxBytes + " bytes)");
        }
    }

    /**
     * The points of a request: what to publish, and how OpenTSDB would answer on its own (the data points the full parser
     * read, valid or not; none when the fast path read the body, whose every point is valid).
     */
    record Parsed(List<PointRecord> records, List<JsonPutParser.Entry> entries, JsonPutParser.BadBody badBody) {
        static final Parsed NONE = new Parsed(List.of(), List.of(), null);
    }

    private PutBody() {
    }

    /** A body's JSON: the first {@code length} bytes of {@code bytes}. */
    record Json(byte[] bytes, int length) {
    }

    /**
     * The body's JSON, copied out of the request (which writing it to the upstream releases), inflated first when it is
     * compressed.
     *
     * @throws TooLarge when it inflates past {@code maxBytes}
     * @throws IOException when it does not inflate (not gzip or deflate after all)
     */
    static Json read(ByteBuf content, HttpHeaders headers, int maxBytes) throws IOException {
        String encoding = headers.get(HttpHeaderNames.CONTENT_ENCODING, "").trim().toLowerCase();
        boolean gzip = encoding.equals("gzip") || encoding.equals("x-gzip");
        if (!gzip && !encoding.equals("deflate")) {
            byte[] bytes = ByteBufUtil.getBytes(content);
            return new Json(bytes, bytes.length);
        }
        byte[] inflated = new byte[Math.min(maxBytes, Math.max(256, content.readableBytes() * 4))];
        int length = 0;
        try (InputStream raw = new ByteBufInputStream(content.duplicate());
                InputStream in = gzip ? new GZIPInputStream(raw) : new InflaterInputStream(raw)) {
            byte[] chunk = new byte[8192];
            for (int n; (n = in.read(chunk)) > 0; ) {
                if (length + n > maxBytes) {
                    throw new TooLarge(maxBytes);
                }
                if (length + n > inflated.length) {
                    inflated = Arrays.copyOf(inflated, (int) Math.min(maxBytes, Math.max(length + n, 2L * inflated.length)));
                }
                System.arraycopy(chunk, 0, inflated, length, n);
                length += n;
            }
        }
        return new Json(inflated, length);
    }

    /**
     * Reads the JSON body (inflated) into points, counting and logging the ones OpenTSDB would refuse: with the fast path
     * when it reads the body, else with the full parser.
     */
    static Parsed parse(TapContext tap, Json json, String uri, PointKind kind) {
        long receivedMs = System.currentTimeMillis();
        if (kind == PointKind.PUT && tap.jsonFastPath() != null) {
            List<PointRecord> quick = tap.jsonFastPath().encode(json.bytes(), json.length(), receivedMs);
            if (quick != null) {
                tap.metrics().received(TapMetrics.Protocol.HTTP, quick.size());
                return new Parsed(quick, List.of(), null);
            }
        }
        try {
            List<JsonPutParser.Entry> entries = tap.jsonParser().parse(json.bytes(), json.length(), kind);
            List<PointRecord> records = new ArrayList<>(entries.size());
            for (JsonPutParser.Entry entry : entries) {
                if (entry.valid()) {
                    PointRecord record = tap.encode(entry.point(), receivedMs);
                    if (record != null) {
                        records.add(record);
                    }
                } else {
                    tap.metrics().rejected(TapMetrics.Protocol.HTTP, entry.reason());
                    tap.logRejected("http", String.valueOf(entry.datapoint()), entry.error());
                }
            }
            tap.metrics().received(TapMetrics.Protocol.HTTP, entries.size());
            return new Parsed(records, entries, null);
        } catch (JsonPutParser.BadBody e) {
            return bad(tap, uri, e);
        }
    }

    /** A body that cannot be read at all (not JSON, or not the compression it claims). */
    static Parsed unreadable(TapContext tap, String uri, IOException e) {
        return bad(tap, uri, new JsonPutParser.BadBody("Unable to parse the given JSON", e.toString()));
    }

    private static Parsed bad(TapContext tap, String uri, JsonPutParser.BadBody e) {
        tap.metrics().rejected(TapMetrics.Protocol.HTTP, Rejection.Reason.BAD_REQUEST);
        tap.logRejected("http", uri, e.getMessage() + ": " + e.details());
        return new Parsed(List.of(), List.of(), e);
    }
}
