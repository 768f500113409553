package io.rewind.restore.plan;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SelectionTest {
    @Test
    void anEmptyTimeRangeIsRefused() {
        long now = 1_780_000_000_000L;
        assertThatThrownBy(() -> new Selection(now, now, Long.MAX_VALUE, List.of(), Map.of())).hasMessageContaining("empty");
    }
}
