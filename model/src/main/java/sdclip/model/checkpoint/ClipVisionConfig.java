package sdclip.model.checkpoint;

/**
 * The shape of one CLIP vision tower (a ViT), read from its tensors (and config.json where there
 * is one). Images are {@code imageSize x imageSize} RGB; the tower sees {@code grid x grid}
 * patches of {@code patchSize x patchSize} pixels plus one class token.
 *
 * @param imageSize     side S of the square input image in pixels (224 for ViT-L/14)
 * @param patchSize     side of one patch in pixels (14 for ViT-L/14)
 * @param width         hidden size D of every token's state (1024 for ViT-L/14)
 * @param heads         attention heads; divides {@code width}
 * @param layers        transformer blocks L
 * @param mlpWidth      inner size of each block's MLP (usually {@code 4 * width})
 * @param projectionDim the visual projection's output size P, 0 when the tower has none
 * @param activation    the MLP activation
 * @param layerNormEps  epsilon added to the variance in every layer norm (1e-5)
 */
public record ClipVisionConfig(
        int imageSize,
        int patchSize,
        int width,
        int heads,
        int layers,
        int mlpWidth,
        int projectionDim,
        HiddenAct activation,
        float layerNormEps) {

    /** {@return patches per side, {@code imageSize / patchSize}} */
    public int grid() {
        return imageSize / patchSize;
    }

    /** {@return tokens per image T: the class token and {@code grid^2} patches} */
    public int positions() {
        return grid() * grid() + 1;
    }

    /** {@return values in one flattened patch, {@code 3 * patchSize^2} (channel, ky, kx)} */
    public int patchValues() {
        return 3 * patchSize * patchSize;
    }

    /** {@return the size of one attention head, {@code width / heads}} */
    public int headDim() {
        return width / heads;
    }

    /** {@return whether the tower has a visual projection ({@code projectionDim > 0})} */
    public boolean hasProjection() {
        return projectionDim > 0;
    }

    /** {@return the number of parameters (patch and position embeddings, class token, norms, blocks, projection)} */
    public long parameterCount() {
        long w = width, m = mlpWidth;
        long block = 4 * w * w + 4 * w + 2 * w * m + m + w + 4 * w;
        return w * patchValues() + w + (long) positions() * w + 4 * w + layers * block + (long) projectionDim * w;
    }

    /** {@return multiply-adds of one image's forward pass, times two: the FLOPs the benchmarks report} */
    public double flops() {
        double w = width, m = mlpWidth, t = positions();
        double patches = 2.0 * (t - 1) * patchValues() * w;
        double linears = 2 * t * (4 * w * w + 2 * w * m);
        double attention = 2 * 2 * w * t * t; // q k^T and p v, no mask
        return patches + layers * (linears + attention) + 2.0 * w * projectionDim;
    }
}
