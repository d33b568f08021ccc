package sdclip.model.image;

/**
 * Pillow's separable BICUBIC resize ({@code ImagingResample}): a horizontal pass into an image of
 * the new width, then a vertical pass, each skipped when its size does not change. 8-bit images
 * use 22-bit fixed-point weights, accumulators starting at 2^21 and an 8-bit rounded intermediate;
 * 32-bit integer images (mode I) use the double weights and round half away from zero.
 */
final class BicubicResampler {
    private static final int HALF = 1 << (BicubicWeights.PRECISION_BITS - 1);

    private BicubicResampler() {}

    /** Resizes interleaved 8-bit samples with {@code channels} per pixel. */
    static byte[] resize(byte[] src, int width, int height, int channels, int newWidth, int newHeight) {
        byte[] out = src;
        if (newWidth != width) out = horizontal(out, width, height, channels, BicubicWeights.of(width, newWidth));
        if (newHeight != height) out = vertical(out, newWidth, height, channels, BicubicWeights.of(height, newHeight));
        return out == src ? src.clone() : out;
    }

    /** Resizes 32-bit integer gray samples (mode I). */
    static int[] resize(int[] src, int width, int height, int newWidth, int newHeight) {
        int[] out = src;
        if (newWidth != width) out = horizontal(out, width, height, BicubicWeights.of(width, newWidth));
        if (newHeight != height) out = vertical(out, newWidth, height, BicubicWeights.of(height, newHeight));
        return out == src ? src.clone() : out;
    }

    private static byte[] horizontal(byte[] src, int width, int height, int channels, BicubicWeights w) {
        int[] k = w.fixedPoint();
        int newWidth = w.outSize();
        byte[] dst = new byte[newWidth * height * channels];
        for (int y = 0; y < height; y++) {
            int row = y * width;
            for (int x = 0; x < newWidth; x++) {
                int base = x * w.kernelSize(), first = row + w.start()[x], n = w.count()[x];
                for (int c = 0; c < channels; c++) {
                    int acc = HALF;
                    for (int j = 0; j < n; j++) acc += (src[(first + j) * channels + c] & 0xff) * k[base + j];
                    dst[(y * newWidth + x) * channels + c] = clip8(acc);
                }
            }
        }
        return dst;
    }

    private static byte[] vertical(byte[] src, int width, int height, int channels, BicubicWeights w) {
        int[] k = w.fixedPoint();
        int newHeight = w.outSize(), rowLength = width * channels;
        byte[] dst = new byte[rowLength * newHeight];
        for (int y = 0; y < newHeight; y++) {
            int base = y * w.kernelSize(), first = w.start()[y], n = w.count()[y];
            for (int i = 0; i < rowLength; i++) {
                int acc = HALF;
                for (int j = 0; j < n; j++) acc += (src[(first + j) * rowLength + i] & 0xff) * k[base + j];
                dst[y * rowLength + i] = clip8(acc);
            }
        }
        return dst;
    }

    private static int[] horizontal(int[] src, int width, int height, BicubicWeights w) {
        int newWidth = w.outSize();
        int[] dst = new int[newWidth * height];
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < newWidth; x++) {
                int base = x * w.kernelSize(), first = y * width + w.start()[x];
                double acc = 0;
                for (int j = 0; j < w.count()[x]; j++) acc += src[first + j] * w.weights()[base + j];
                dst[y * newWidth + x] = roundHalfAway(acc);
            }
        }
        return dst;
    }

    private static int[] vertical(int[] src, int width, int height, BicubicWeights w) {
        int newHeight = w.outSize();
        int[] dst = new int[width * newHeight];
        for (int y = 0; y < newHeight; y++) {
            int base = y * w.kernelSize(), first = w.start()[y];
            for (int x = 0; x < width; x++) {
                double acc = 0;
                for (int j = 0; j < w.count()[y]; j++) acc += src[(first + j) * width + x] * w.weights()[base + j];
                dst[y * width + x] = roundHalfAway(acc);
            }
        }
        return dst;
    }

    /** Pillow's {@code clip8}: shift out the fraction, clamp to 0..255. */
    static byte clip8(int acc) {
        int v = acc >> BicubicWeights.PRECISION_BITS;
        return (byte) (v < 0 ? 0 : Math.min(v, 255));
    }

    /** Pillow's {@code ROUND_UP}: half away from zero. */
    private static int roundHalfAway(double v) {
        return (int) (v >= 0 ? Math.floor(v + 0.5) : -Math.floor(Math.abs(v) + 0.5));
    }
}
