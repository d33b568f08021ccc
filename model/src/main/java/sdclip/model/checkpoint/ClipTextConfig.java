package sdclip.model.checkpoint;

/**
 * The shape of one CLIP text tower, read from its tensors (and config.json where there is one).
 *
 * @param width         hidden size W of every token's state (768 for CLIP-L, 1024 for OpenCLIP-H, 1280 for bigG)
 * @param heads         attention heads; divides {@code width}
 * @param layers        transformer blocks L
 * @param mlpWidth      inner size of each block's MLP (usually {@code 4 * width})
 * @param vocabSize     rows of the token embedding (49408 for CLIP's BPE vocabulary)
 * @param contextLength rows of the position embedding: the most tokens one pass can take (77)
 * @param projectionDim the text projection's output size, 0 when the tower has none
 * @param activation    the MLP activation
 * @param layerNormEps  epsilon added to the variance in every layer norm (1e-5)
 */
public record ClipTextConfig(
        int width,
        int heads,
        int layers,
        int mlpWidth,
        int vocabSize,
        int contextLength,
        int projectionDim,
        HiddenAct activation,
        float layerNormEps) {

    /** {@return the size of one attention head, {@code width / heads}} */
    public int headDim() {
        return width / heads;
    }

    /** {@return whether the tower has a text projection ({@code projectionDim > 0})} */
    public boolean hasProjection() {
        return projectionDim > 0;
    }

    /** {@return the number of parameters of the tower (embeddings, blocks, final norm, projection)} */
    public long parameterCount() {
        long w = width, m = mlpWidth;
        long block = 4 * w * w + 4 * w + 2 * w * m + m + w + 4 * w;
        return (long) vocabSize * w + (long) contextLength * w + layers * block + 2 * w + (long) projectionDim * w;
    }

    /**
     * Multiply-adds of one forward pass, times two: the FLOPs the benchmarks report. Counts the linear layers and
     * causal attention; norms, activations and the projection are left out.
     *
     * @param tokens positions in the pass (at most {@code contextLength})
     * @return floating-point operations of the pass
     */
    public double flops(int tokens) {
        double w = width, m = mlpWidth, t = tokens;
        double linears = 2 * t * (4 * w * w + 2 * w * m);
        double attention = 2 * 2 * w * t * (t + 1) / 2; // q k^T and p v over the causal half
        return layers * (linears + attention);
    }
}
