package io.rewind.devstack.junit;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * A program of the machine the tests run on (promtool, systemd-analyze), found on the PATH as a shell finds it; a test
 * that needs one it does not find is reported as skipped, saying why, not as passed.
 */
public final class Programs {
    private Programs() {
    }

    public static Optional<Path> onPath(String name) {
        return Stream.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
                .map(dir -> Path.of(dir, name)).filter(Files::isExecutable).findFirst();
    }

    /**
     * @param unchecked what the test could not check without it, and how to install it: the skipped test's reason
     * @return the program's path; when it is not on the PATH the calling test is skipped
     */
    public static Path requireOrSkip(String name, String unchecked) {
        Optional<Path> program = onPath(name);
        Assumptions.assumeTrue(program.isPresent(), name + " is not installed: " + unchecked);
        return program.orElseThrow();
    }
}
