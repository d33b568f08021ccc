package sdclip.model.prompt;

/**
 * AUTOMATIC1111's emphasis ({@code modules/sd_emphasis.py}), applied to the encoder's output for
 * one chunk ({@code [77, D]}) or one batch of chunks ({@code [B, 77, D]}), row-major, with one
 * weight per row. Pure: the input is not changed.
 *
 * <p>Precision follows A1111's float32 torch code: each product {@code z * w} and the final
 * {@code z * (originalMean / newMean)} are float32 operations, the ratio a float32 division of
 * two float32 means. Each mean is summed in double and rounded once to float32: torch's float32
 * reduction order depends on the device (CPU: cascade sum, then divided by the count; CUDA: a
 * tree sum times 1/count), so no fixed order matches it bit for bit; this gives the correctly
 * rounded mean, within a few float32 ulps of torch's. A1111 averages the whole batch tensor, so
 * pass the batch to match it when it encodes several prompts at once. With a half-precision
 * encoder A1111's original mean is also rounded to half; that is the caller's to reproduce.
 * A1111's "Ignore" and "None" leave z unchanged and need no function.
 */
public enum Emphasis {
    /** "Original": multiply each row by its weight, then scale everything so the mean is unchanged. */
    ORIGINAL,
    /** "No norm": multiply each row by its weight, nothing more. */
    NO_NORM;

    /**
     * The weighted rows.
     *
     * @param z the encoded rows, {@code weights.length} rows of equal width, row-major
     * @param weights one weight per row (a {@link Chunk}'s weights, or several chunks' in a row)
     * @return a new array
     */
    public float[] apply(float[] z, float[] weights) {
        if (weights.length == 0 || z.length % weights.length != 0)
            throw new IllegalArgumentException(z.length + " values are not " + weights.length + " rows");
        int width = z.length / weights.length;
        float[] out = new float[z.length];
        for (int r = 0; r < weights.length; r++) {
            float w = weights[r];
            for (int i = r * width, end = i + width; i < end; i++) out[i] = z[i] * w;
        }
        if (this == NO_NORM) return out;
        float originalMean = mean(z), newMean = mean(out);
        float scale = originalMean / newMean;
        for (int i = 0; i < out.length; i++) out[i] *= scale;
        return out;
    }

    /** The float32 mean of all values: summed in double, rounded once. */
    static float mean(float[] values) {
        double sum = 0;
        for (float v : values) sum += v;
        return (float) (sum / values.length);
    }
}
