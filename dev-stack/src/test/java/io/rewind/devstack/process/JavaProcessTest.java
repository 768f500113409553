package io.rewind.devstack.process;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A tool's exit code is read once it has exited, however soon. The process handle's exit used to be awaited, which the JDK
 * can complete before the Process has taken the exit status; reading it then failed with "process hasn't exited" (seen
 * once, when the dev stack stopped a TSD at the end of a test run). That race is rare and did not show in this test's runs
 * before the fix; the test holds the behaviour for tools that end at once, where the two are closest.
 */
class JavaProcessTest {
    @TempDir
    Path dir;

    /** Exits at once with code 3. */
    public static final class ExitsAtOnce {
        public static void main(String[] args) {
            System.exit(3);
        }
    }

    @Test
    void theExitCodeOfAToolThatEndsAtOnceIsReadEveryTime() {
        List<Path> classpath = Arrays.stream(System.getProperty("java.class.path").split(java.io.File.pathSeparator)).map(Path::of).toList();
        for (int i = 0; i < 12; i++) {
            JavaProcess.Spec spec = new JavaProcess.Spec("exits-at-once", classpath, List.of("-Xshare:auto", "-XX:TieredStopAtLevel=1"),
                    ExitsAtOnce.class.getName(), List.of(), dir, dir.resolve("exits-" + i + ".log"));
            assertThatThrownBy(() -> JavaProcess.run(spec, Duration.ofSeconds(60))).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("failed with exit code 3");
        }
    }
}
