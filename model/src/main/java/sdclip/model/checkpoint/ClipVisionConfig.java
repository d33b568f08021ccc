package sdclip.model.checkpoint;

/**
 * The shape of one CLIP vision tower (a ViT), read from its tensors (and config.json where there
 * is one). Images are {@code imageSize x imageSize} RGB; the tower sees {@code grid x grid}
 * patches of {@code patchSize x patchSize} pixels plus one class token.
 *
 * @param projectionDim the visual projection's output size, 0 when the tower has none
 */
public record ClipVisionConfig(int imageSize, int patchSize, int width, int heads, int layers, int mlpWidth,
                               int projectionDim, HiddenAct activation, float layerNormEps) {

    /** Patches per side: {@code imageSize / patchSize}. */
    public int grid() { return imageSize / patchSize; }

    /** Tokens per image: the class token and {@code grid^2} patches. */
    public int positions() { return grid() * grid() + 1; }

    /** Values in one flattened patch, {@code 3 * patchSize^2} (channel, ky, kx). */
    public int patchValues() { return 3 * patchSize * patchSize; }

    public int headDim() { return width / heads; }

    public boolean hasProjection() { return projectionDim > 0; }

    /** Parameters of the tower (patch and position embeddings, class token, norms, blocks, projection). */
    public long parameterCount() {
        long w = width, m = mlpWidth;
        long block = 4 * w * w + 4 * w + 2 * w * m + m + w + 4 * w;
        return w * patchValues() + w + (long) positions() * w + 4 * w + layers * block + (long) projectionDim * w;
    }

    /** Multiply-adds of one image's forward pass, times two: the FLOPs bench reports. */
    public double flops() {
        double w = width, m = mlpWidth, t = positions();
        double patches = 2.0 * (t - 1) * patchValues() * w;
        double linears = 2 * t * (4 * w * w + 2 * w * m);
        double attention = 2 * 2 * w * t * t; // q k^T and p v, no mask
        return patches + layers * (linears + attention) + 2.0 * w * projectionDim;
    }
}
