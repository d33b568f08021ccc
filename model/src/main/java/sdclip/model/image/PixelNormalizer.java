package sdclip.model.image;

/**
 * Turns an RGB image into the model input: channel-first bytes, then float32
 * {@code (v / 255 - mean) / std} with CLIP's mean and std. {@link Preprocess#OPENAI} divides in
 * float32 ({@code ToTensor}); {@link Preprocess#HF} multiplies by {@code 1.0 / 255} in double and
 * rounds to float32 (transformers' {@code rescale}). Both normalise in float32 with mean and std
 * rounded from the double constants.
 */
final class PixelNormalizer {
    /** CLIP's per-channel mean, as float32 (the double constants rounded, as torch does). */
    public static final float[] MEAN = {(float) 0.48145466, (float) 0.4578275, (float) 0.40821073};
    /** CLIP's per-channel standard deviation, as float32. */
    public static final float[] STD = {(float) 0.26862954, (float) 0.26130258, (float) 0.27577711};

    private PixelNormalizer() {}

    /**
     * Interleaved RGB to channel-first.
     *
     * @param rgb an image in mode RGB, {@code [H, W, 3]}
     * @return its samples as {@code [3, H, W]} unsigned bytes
     * @throws IllegalArgumentException when the image is not in mode RGB
     */
    public static byte[] channelFirst(DecodedImage rgb) {
        if (rgb.mode() != PixelMode.RGB)
            throw new IllegalArgumentException(
                    "expected an RGB image, got " + rgb.mode().pillowName());
        int n = rgb.width() * rgb.height();
        byte[] s = rgb.samples(), out = new byte[3 * n];
        for (int p = 0; p < n; p++) for (int c = 0; c < 3; c++) out[c * n + p] = s[p * 3 + c];
        return out;
    }

    /**
     * Channel-first bytes to normalised float32 values in the same layout.
     *
     * @param channelFirst {@code [3, H, W]} unsigned bytes
     * @param mode         whose rescaling to reproduce
     * @return {@code [3, H, W]} values {@code (v / 255 - MEAN[c]) / STD[c]}
     * @throws IllegalArgumentException when the length is not a multiple of 3
     */
    public static float[] normalize(byte[] channelFirst, Preprocess mode) {
        if (channelFirst.length % 3 != 0)
            throw new IllegalArgumentException("not three equal channels: " + channelFirst.length);
        int n = channelFirst.length / 3;
        float[] out = new float[channelFirst.length];
        for (int i = 0; i < out.length; i++) {
            int c = i / n, v = channelFirst[i] & 0xff;
            float x = mode == Preprocess.OPENAI ? v / 255f : (float) (v * (1.0 / 255));
            out[i] = (x - MEAN[c]) / STD[c];
        }
        return out;
    }
}
