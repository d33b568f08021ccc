package sdclip.model.text;

/**
 * How prompts are grouped into forward passes. A batch holds at most {@code batchSize x 77}
 * token rows: {@code batchSize} prompts when full sequences are needed, or many more short
 * prompts on the pooled-only path (whose sequence ends at the batch's last end token), so the
 * weights are streamed once per batch, not once per 8 prompts.
 */
final class BatchPlan {
    private final long rowBudget;
    private final int context;
    private final boolean fullSequence;
    private int batch, longest;

    BatchPlan(int batchSize, int context, boolean fullSequence) {
        this.rowBudget = (long) Math.max(1, batchSize) * context;
        this.context = context;
        this.fullSequence = fullSequence;
    }

    /** Starts a new, empty batch. */
    void reset() {
        batch = 0;
        longest = 0;
    }

    /**
     * Adds a prompt whose first end token is at {@code pooledIndex} when it fits (a batch always
     * takes its first prompt); false when it would overflow the batch, which is then complete.
     */
    boolean tryAdd(int pooledIndex) {
        int seq = fullSequence ? context : Math.max(longest, pooledIndex + 1);
        if (batch > 0 && (long) (batch + 1) * seq > rowBudget) return false;
        longest = seq;
        batch++;
        return true;
    }
}
