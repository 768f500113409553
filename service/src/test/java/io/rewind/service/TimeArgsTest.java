package io.rewind.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class TimeArgsTest {
    private static final long NOW = 1_763_733_720_000L; // 2025-11-21T14:02:00Z

    @Test
    void readsTheFormsUsersType() {
        assertThat(TimeArgs.parseTime("2025-11-21T14:02:00Z", 0)).isEqualTo(NOW);
        assertThat(TimeArgs.parseTime("2025-11-21T15:02:00+01:00", 0)).isEqualTo(NOW);
        assertThat(TimeArgs.parseTime("2025-11-21T14:02", 0)).isEqualTo(NOW);
        assertThat(TimeArgs.parseTime("2025-11-21", 0)).isEqualTo(NOW - (14 * 60 + 2) * 60_000L);
        assertThat(TimeArgs.parseTime("1763733720", 0)).isEqualTo(NOW);
        assertThat(TimeArgs.parseTime("1763733720123", 0)).isEqualTo(NOW + 123);
        assertThat(TimeArgs.parseTime("now", NOW)).isEqualTo(NOW);
        assertThat(TimeArgs.parseTime("-2h", NOW)).isEqualTo(NOW - 7_200_000L);
        assertThat(TimeArgs.parseTime("-1d12h", NOW)).isEqualTo(NOW - 36 * 3_600_000L);
    }

    @Test
    void durationsHaveUnitsAndSigns() {
        assertThat(TimeArgs.parseDuration("+7d")).isEqualTo(7 * 86_400_000L);
        assertThat(TimeArgs.parseDuration("-1h30m")).isEqualTo(-5_400_000L);
        assertThat(TimeArgs.parseDuration("250ms")).isEqualTo(250);
        assertThat(TimeArgs.parseDuration("2w")).isEqualTo(14 * 86_400_000L);
    }

    @Test
    void nonsenseIsRefusedWithTheFormsThatWork() {
        assertThatThrownBy(() -> TimeArgs.parseTime("yesterday", NOW)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("ISO-8601");
        assertThatThrownBy(() -> TimeArgs.parseDuration("7 days")).hasMessageContaining("e.g. 7d");
    }
}
