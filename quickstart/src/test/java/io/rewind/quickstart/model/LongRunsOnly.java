package io.rewind.quickstart.model;

import net.jqwik.api.lifecycle.LifecycleContext;
import net.jqwik.api.lifecycle.SkipExecutionHook;

/** Runs a property only when asked for long runs ({@code -Drewind.properties=long}): the test command keeps its budget. */
public final class LongRunsOnly implements SkipExecutionHook {
    @Override
    public SkipResult shouldBeSkipped(LifecycleContext context) {
        return "long".equals(System.getProperty("rewind.properties"))
                ? SkipResult.doNotSkip()
                : SkipResult.skip("long runs only: -Drewind.properties=long");
    }
}
