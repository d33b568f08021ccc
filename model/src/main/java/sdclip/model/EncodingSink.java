package sdclip.model;

import java.io.IOException;

/**
 * Receives a streaming {@link TextEncoder#stream(java.util.List, EncodeRequest, EncodingSink)}
 * run's results batch by batch, in prompt order, on the encoding thread.
 */
@FunctionalInterface
public interface EncodingSink {
    /**
     * One finished batch.
     *
     * @param first the index of the batch's first prompt in the run
     * @param batch the batch's tensors, shaped for its own prompt count (e.g. {@code [b, 77, D]})
     * @throws IOException to stop the run (the exception reaches the caller)
     */
    void accept(int first, Encoding batch) throws IOException;
}
