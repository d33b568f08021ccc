package sdclip.spark;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The models of this JVM (an executor, or the driver in local mode), and what else is read once
 * per JVM (textual inversion files): each opened once, on first
 * use, by one task while the others asking for it wait; then shared by every task of the JVM
 * (the encoders are thread-safe) and closed when the JVM shuts down. Keyed by what it was
 * opened with ({@link ModelSpec.ImageKey}, {@link ModelSpec.TextKey}: the file's real path,
 * size and modification time, and the options). A failed open is not kept: the next task tries
 * again, and reports the same error.
 */
final class ModelCache {
    private ModelCache() {}

    /** Opens a model; the caller owns what it returns until the cache takes it. */
    interface Opener<T> {
        T open() throws IOException;
    }

    /** One key's model, opened at most once. */
    private static final class Slot {
        private Object model;

        synchronized Object get(Object key, Opener<?> opener) throws IOException {
            if (model == null) {
                model = opener.open();
                OPENS.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
            }
            return model;
        }

        synchronized void close() {
            if (!(model instanceof AutoCloseable c)) return;
            try {
                c.close();
            } catch (Exception e) {
                // the JVM is going away; nothing to report to
            }
            model = null;
        }
    }

    private static final Map<Object, Slot> SLOTS = new ConcurrentHashMap<>();
    private static final Map<Object, AtomicInteger> OPENS = new ConcurrentHashMap<>();

    static {
        Runtime.getRuntime()
                .addShutdownHook(
                        Thread.ofPlatform().name("sdclip-model-cache-close").unstarted(ModelCache::closeAll));
    }

    /**
     * The model for {@code key}, opened by {@code opener} if this JVM has not opened it yet.
     *
     * @throws IllegalStateException wrapping an {@link IOException} of the opener (a model or
     *                               vocabulary that cannot be read fails the task, not a row)
     */
    @SuppressWarnings("unchecked") // a key's slot only ever holds what its opener returned
    static <T> T get(Object key, Opener<T> opener) {
        Slot slot = SLOTS.computeIfAbsent(key, k -> new Slot());
        try {
            return (T) slot.get(key, opener);
        } catch (IOException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    /** {@return how many times this JVM opened a model for {@code key}: 0 or 1, unless it was closed and reopened} */
    static int opens(Object key) {
        AtomicInteger n = OPENS.get(key);
        return n == null ? 0 : n.get();
    }

    /** {@return every key this JVM has opened a model for} */
    static List<Object> keys() {
        return new ArrayList<>(OPENS.keySet());
    }

    /** Drops a key's entry without closing what it holds (a path whose file went away). */
    static void forget(Object key) {
        SLOTS.remove(key);
    }

    /** Closes every model (at JVM shutdown). */
    static void closeAll() {
        for (Slot s : SLOTS.values()) s.close();
    }
}
