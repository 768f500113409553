package io.rewind.service.config;

import java.util.List;

/** The configuration cannot start the component; the message lists every problem, one per line. */
public class ConfigException extends RuntimeException {
    private final List<String> problems;

    public ConfigException(String component, List<String> problems) {
        super("The " + component + "'s configuration has " + (problems.size() == 1 ? "a problem" : problems.size() + " problems")
                + ":\n  - " + String.join("\n  - ", problems));
        this.problems = List.copyOf(problems);
    }

    public List<String> problems() {
        return problems;
    }
}
