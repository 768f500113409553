package io.rewind.tap.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.rewind.schema.PointKind;
import io.rewind.tap.protocol.JsonPutParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The answers the tap gives itself over HTTP, in OpenTSDB's shapes: its errors, and a standalone tap's answers to puts. */
final class HttpAnswers {
    private static final ObjectMapper JSON = new ObjectMapper();

    private HttpAnswers() {
    }

    /** The points of an HTTP put could not be made safe in time: the client should retry. */
    static FullHttpResponse notDurable(Throwable error) {
        return error(HttpResponseStatus.SERVICE_UNAVAILABLE, "The points could not be backed up; retry the request",
                "Rewind's tap could not get them into Kafka or its spool within ack.timeout.ms: " + error);
    }

    /** What a TSD answers to a put, for standalone mode ({@code PutDataPointRpc}'s shapes). */
    static FullHttpResponse standalone(HttpMethod method, QueryStringDecoder query, PointKind kind, PutBody.Parsed parsed) {
        String path = query.path();
        if (kind == null) {
            if (HttpHandler.putKind(path) != null) {
                return error(HttpResponseStatus.METHOD_NOT_ALLOWED, "Method not allowed",
                        "The HTTP method [" + method.name() + "] is not permitted for this endpoint");
            }
            if (path.equals("/api/version")) {
                return json(HttpResponseStatus.OK, Map.of("version", "2.4.1", "short_revision", "rewind-ingest-tap",
                        "full_revision", "rewind-ingest-tap standalone", "repo_status", "MODIFIED"));
            }
            return error(HttpResponseStatus.NOT_FOUND, "Endpoint not found",
                    "Rewind's tap runs standalone (no upstream TSD): it answers only /api/put, /api/rollup, /api/histogram and /api/version");
        }
        if (parsed.badBody() != null) {
            return error(HttpResponseStatus.BAD_REQUEST, parsed.badBody().getMessage(), parsed.badBody().details());
        }
        boolean details = query.parameters().containsKey("details");
        boolean summary = query.parameters().containsKey("summary");
        List<Map<String, Object>> errors = new ArrayList<>();
        for (JsonPutParser.Entry entry : parsed.entries()) {
            if (!entry.valid()) {
                Map<String, Object> error = new LinkedHashMap<>();
                error.put("datapoint", entry.datapoint());
                error.put("error", entry.error());
                errors.add(error);
            }
        }
        int failed = errors.size();
        if (!details && !summary) {
            if (failed > 0) {
                return error(HttpResponseStatus.BAD_REQUEST, "One or more data points had errors",
                        "Please see the TSD logs or append \"details\" to the put request");
            }
            FullHttpResponse noContent = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.NO_CONTENT);
            noContent.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json; charset=UTF-8");
            noContent.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, 0);
            return noContent;
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("success", parsed.records().size());
        body.put("failed", failed);
        if (details) {
            body.put("errors", errors);
        }
        return json(failed > 0 ? HttpResponseStatus.BAD_REQUEST : HttpResponseStatus.OK, body);
    }

    /** OpenTSDB's error shape: {@code {"error":{"code":..,"message":..,"details":..}}}. */
    static FullHttpResponse error(HttpResponseStatus status, String message, String details) {
        Map<String, Object> error = new LinkedHashMap<>();
        error.put("code", status.code());
        error.put("message", message);
        if (details != null) {
            error.put("details", details);
        }
        return json(status, Map.of("error", error));
    }

    static FullHttpResponse json(HttpResponseStatus status, Object body) {
        byte[] bytes;
        try {
            bytes = JSON.writeValueAsBytes(body);
        } catch (IOException e) {
            bytes = ("{\"error\":{\"code\":500,\"message\":\"" + e.getMessage() + "\"}}").getBytes(StandardCharsets.UTF_8);
        }
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.wrappedBuffer(bytes));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json; charset=UTF-8");
        response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, bytes.length);
        return response;
    }
}
