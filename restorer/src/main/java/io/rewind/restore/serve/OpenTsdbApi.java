package io.rewind.restore.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * What OpenTSDB 2.4.1 answers the same everywhere: its error body, and the two descriptions a client reads once
 * ({@code /api/aggregators}, {@code /api/config/filters}), as a 2.4.1 TSD writes them.
 */
final class OpenTsdbApi {
    private static final JsonNode AGGREGATORS = resource("aggregators.json");
    private static final JsonNode FILTERS = resource("filters.json");

    private OpenTsdbApi() {
    }

    /** A request OpenTSDB refuses, with its HTTP status and words. */
    static final class ApiException extends RuntimeException {
        private final int status;
        private final String details;

        ApiException(int status, String message, String details) {
            super(message);
            this.status = status;
            this.details = details;
        }

        int status() {
            return status;
        }

        String details() {
            return details;
        }
    }

    /** {@code {"error":{"code":400,"message":"...","details":"..."}}}: OpenTSDB's error body (without its Java stack trace). */
    static JsonNode error(int status, String message, String details) {
        ObjectNode root = ServeServer.JSON.createObjectNode();
        ObjectNode error = root.putObject("error").put("code", status).put("message", message);
        if (details != null && !details.isEmpty()) {
            error.put("details", details);
        }
        return root;
    }

    static JsonNode aggregators() {
        return AGGREGATORS;
    }

    static JsonNode filters() {
        return FILTERS;
    }

    private static JsonNode resource(String name) {
        try (InputStream in = OpenTsdbApi.class.getResourceAsStream(name)) {
            return ServeServer.JSON.readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
