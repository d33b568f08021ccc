package sdclip.model;

/** Told after each batch of an {@link TextEncoder#encode} run how many of its steps are done. */
@FunctionalInterface
public interface ProgressListener {
    ProgressListener NONE = (done, total) -> {};

    void progress(int done, int total);
}
