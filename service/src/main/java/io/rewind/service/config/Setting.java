package io.rewind.service.config;

import java.util.Objects;
import java.util.function.Function;

/**
 * One configuration key of a component: its name (with the unit in it, e.g. {@code commit.interval.ms}),
 * its default as text (null when it has none and must be given), what it means, and how its text
 * becomes a value, failing with the reason a user reads in {@code The 'x' value 'y' is invalid: <reason>}.
 */
public record Setting<T>(String key, String defaultText, String description, Function<String, T> parser) {
    public Setting {
        Objects.requireNonNull(key);
        Objects.requireNonNull(description);
        Objects.requireNonNull(parser);
    }

    public boolean required() {
        return defaultText == null;
    }

    /** A secret: shown as {@code [hidden]} in every message and listing. */
    public boolean secret() {
        return Settings.isSecret(key);
    }
}
