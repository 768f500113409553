package io.rewind.restore.targets;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * What a TSD's answer to {@code ?details&sync} says about points it did not store: a failure of its storage or a sync
 * timeout (retried, as a 5xx is), as opposed to points it refuses (rejects), whatever the status it comes with.
 */
class HttpTargetTest {
    @Test
    void aStorageFailureOrASyncTimeoutIsNotStoredAndIsRetried() {
        assertThat(HttpTarget.notStored("{\"success\":0,\"failed\":2,\"errors\":[{\"datapoint\":{\"metric\":\"m\"},"
                + "\"error\":\"Storage exception: org.hbase.async.RemoteException: region offline\"}]}")).contains("not stored");
        assertThat(HttpTarget.notStored("{\"success\":0,\"failed\":1,\"timeouts\":1,\"errors\":[]}")).contains("sync timeout");
        assertThat(HttpTarget.notStored("{\"success\":1,\"failed\":1,\"errors\":[{\"error\":\"Write timedout\"}]}")).isNotNull();
        assertThat(HttpTarget.notStored("{\"failed\":1,\"errors\":[{\"error\":\"Please throttle writes: 10000 RPCs waiting\"}]}"))
                .isNotNull();
    }

    @Test
    void aRefusedPointIsARejectEvenWhenItsReasonQuotesStorageWords() {
        assertThat(HttpTarget.notStored("{\"success\":0,\"failed\":1,\"errors\":[{\"error\":\"Unable to parse value to a number\"}]}"))
                .isNull();
        assertThat(HttpTarget.notStored("{\"failed\":1,\"errors\":[{\"error\":\"Invalid tag value (\\\"hbase timeout\\\"): illegal"
                + " character: \\\" \\\"\"}]}")).isNull();
        assertThat(HttpTarget.notStored("{\"success\":2,\"failed\":0,\"errors\":[]}")).isNull();
        // What a TSD throws on the spot (a rollup interval it does not have): a reject, never retried without end.
        assertThat(HttpTarget.notStored("{\"failed\":1,\"errors\":[{\"error\":\"Unexpected exception\"}]}")).isNull();
        assertThat(HttpTarget.notStored("")).isNull();
        assertThat(HttpTarget.notStored("not json \"failed\"")).isNull();
    }
}
