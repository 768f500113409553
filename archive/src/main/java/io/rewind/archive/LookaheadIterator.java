package io.rewind.archive;

import java.util.Iterator;
import java.util.NoSuchElementException;

/** An iterator that finds its next element ahead of time: subclasses say what comes next, or null at the end. */
public abstract class LookaheadIterator<T> implements Iterator<T> {
    private T next;
    private boolean ended;

    /** The next element, or null when there is none; not called again after it returned null. */
    protected abstract T computeNext();

    @Override
    public final boolean hasNext() {
        if (next == null && !ended) {
            next = computeNext();
            ended = next == null;
        }
        return next != null;
    }

    @Override
    public final T next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        T result = next;
        next = null;
        return result;
    }
}
