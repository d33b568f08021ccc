package sdclip.model.prompt;

/**
 * ComfyUI's token weighting ({@code comfy/sd1_clip.py},
 * {@code ClipTokenWeightEncoder.encode_token_weights}): each row whose weight is not 1 becomes
 * {@code (z - zEmpty) * w + zEmpty}, where {@code zEmpty} is the encoding of the empty prompt
 * ({@link ComfyChunker#emptyChunk()}) at the same position; rows of weight 1 are kept as they are.
 * As in ComfyUI's float32 torch code, the subtraction, product and sum are each a float32
 * operation with the weight in float32. ComfyUI tests the weight against 1 as a Python double;
 * a chunk's float32 weight differs from that only for weights within 2^-24 of 1. Stateless.
 */
public final class ComfyWeighting {
    private ComfyWeighting() {}

    /**
     * The weighted rows of one chunk.
     *
     * @param z the chunk's encoded rows, {@code weights.length} rows of equal width, row-major
     * @param zEmpty the empty prompt's encoded rows, the same shape
     * @param weights one weight per row (a {@link Chunk}'s weights)
     * @return a new array
     */
    public static float[] apply(float[] z, float[] zEmpty, float[] weights) {
        if (z.length != zEmpty.length)
            throw new IllegalArgumentException("z has " + z.length + " values, zEmpty " + zEmpty.length);
        if (weights.length == 0 || z.length % weights.length != 0)
            throw new IllegalArgumentException(z.length + " values are not " + weights.length + " rows");
        int width = z.length / weights.length;
        float[] out = z.clone();
        for (int r = 0; r < weights.length; r++) {
            float w = weights[r];
            if (w == 1f) continue;
            for (int i = r * width, end = i + width; i < end; i++) {
                float difference = z[i] - zEmpty[i];
                float scaled = difference * w;
                out[i] = scaled + zEmpty[i];
            }
        }
        return out;
    }
}
