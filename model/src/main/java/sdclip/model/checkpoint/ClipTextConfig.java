package sdclip.model.checkpoint;

/**
 * The shape of one CLIP text tower, read from its tensors (and config.json where there is one).
 *
 * @param projectionDim the text projection's output size, 0 when the tower has none
 */
public record ClipTextConfig(int width, int heads, int layers, int mlpWidth, int vocabSize, int contextLength,
                             int projectionDim, HiddenAct activation, float layerNormEps) {

    public int headDim() { return width / heads; }

    public boolean hasProjection() { return projectionDim > 0; }

    /** Parameters of the tower (embeddings, blocks, final norm, projection). */
    public long parameterCount() {
        long w = width, m = mlpWidth;
        long block = 4 * w * w + 4 * w + 2 * w * m + m + w + 4 * w;
        return (long) vocabSize * w + (long) contextLength * w + layers * block + 2 * w + (long) projectionDim * w;
    }

    /** Multiply-adds of one forward pass over {@code tokens} positions, times two: the FLOPs bench reports. */
    public double flops(int tokens) {
        double w = width, m = mlpWidth, t = tokens;
        double linears = 2 * t * (4 * w * w + 2 * w * m);
        double attention = 2 * 2 * w * t * (t + 1) / 2; // q k^T and p v over the causal half
        return layers * (linears + attention);
    }
}
