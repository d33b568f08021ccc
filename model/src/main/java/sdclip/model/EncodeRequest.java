package sdclip.model;

/**
 * What {@link TextEncoder#encode} computes.
 *
 * @param encoder      0 for the checkpoint's default (both SDXL encoders together), or 1 / 2 for one encoder alone
 * @param clipSkip     0 for the family's default, else k: conditioning from block L-(k-1) (SD 1.x, SD 2.x, CLIP)
 * @param conditioning the UNet conditioning {@code [N, 77, C]}
 * @param lastHiddenState {@code final_layer_norm} of the last block, {@code [N, 77, D]}
 * @param hiddenStates the embedding output and every block's raw output, {@code [L+1, N, 77, D]}
 * @param pooled       {@code pooled_output} and, with a projection, {@code text_embeds}
 */
public record EncodeRequest(int encoder, int clipSkip, boolean conditioning, boolean lastHiddenState, boolean hiddenStates, boolean pooled) {

    /** Conditioning, last hidden state and pooled outputs: what {@code sdclip encode} writes by default. */
    public static EncodeRequest standard() { return new EncodeRequest(0, 0, true, true, false, true); }

    /** Only {@code pooled_output} and {@code text_embeds}: the fast path for CLIP embeddings. */
    public static EncodeRequest pooledOnly() { return new EncodeRequest(0, 0, false, false, false, true); }

    public EncodeRequest withEncoder(int e) { return new EncodeRequest(e, clipSkip, conditioning, lastHiddenState, hiddenStates, pooled); }

    public EncodeRequest withHiddenStates(boolean h) { return new EncodeRequest(encoder, clipSkip, conditioning, lastHiddenState, h, pooled); }
}
