package io.rewind.devstack.junit;

import io.rewind.devstack.DevStack;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Gives integration tests the running dev stack: {@code @ExtendWith(DevStackExtension.class)} and a
 * {@link DevStack} parameter. One stack per test JVM, whatever the number of test classes, started on
 * first use and stopped when the test run ends; its servers also stop if the test JVM dies. Two TSDs
 * run: {@value #PRODUCTION} and {@value #RECOVERY}. Data and logs go to the {@code rewind.it.dir}
 * system property's directory (Maven sets it to {@code target/it-stack}).
 */
public final class DevStackExtension implements ParameterResolver {
    public static final String PRODUCTION = "production";
    public static final String RECOVERY = "recovery";

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == DevStack.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        return context.getRoot().getStore(ExtensionContext.Namespace.create(DevStackExtension.class))
                .getOrComputeIfAbsent(Started.class, key -> Started.start(), Started.class)
                .stack();
    }

    /** The stack, or why it did not start: remembered, so the other tests fail at once instead of retrying. */
    private record Started(DevStack running, RuntimeException failure) implements AutoCloseable {
        static Started start() {
            Path dir = Path.of(System.getProperty("rewind.it.dir", System.getProperty("java.io.tmpdir") + "/rewind-it-stack"));
            try {
                return new Started(DevStack.start(dir, List.of(PRODUCTION, RECOVERY), true), null);
            } catch (Exception e) {
                return new Started(null, new IllegalStateException(
                        "The dev stack for the integration tests did not start: " + e.getMessage(), e));
            }
        }

        DevStack stack() {
            if (failure != null) {
                throw failure;
            }
            return running;
        }

        @Override
        public void close() {
            if (running != null) {
                running.close();
            }
        }
    }
}
