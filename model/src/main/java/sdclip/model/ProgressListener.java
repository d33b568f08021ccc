package sdclip.model;

/** Told after each batch of a {@link TextEncoder#encode} run how many of its prompts are done. */
@FunctionalInterface
public interface ProgressListener {
    /** Ignores every report. */
    ProgressListener NONE = (done, total) -> {};

    /**
     * Called after each batch, from the encoding thread.
     *
     * @param done  prompts finished so far (every encoder of them)
     * @param total prompts in the run
     */
    void progress(int done, int total);
}
