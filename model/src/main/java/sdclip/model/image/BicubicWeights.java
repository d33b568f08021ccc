package sdclip.model.image;

/**
 * Pillow's resampling weights for one axis with the BICUBIC filter ({@code precompute_coeffs} in
 * Resample.c): the a = -0.5 cubic, support 2 widened by the downscale factor, weights in double
 * normalised to sum 1. Output pixel {@code i} reads input pixels {@code start[i] ..
 * start[i] + count[i] - 1} with weights {@code weights[i * kernelSize + j]}.
 */
record BicubicWeights(int inSize, int outSize, int kernelSize, int[] start, int[] count, double[] weights) {

    /** Fractional bits of the 8-bit fixed-point weights (Pillow's PRECISION_BITS = 32 - 8 - 2). */
    static final int PRECISION_BITS = 22;

    static BicubicWeights of(int inSize, int outSize) {
        double scale = (double) inSize / outSize;
        double filterScale = Math.max(scale, 1.0);
        double support = 2.0 * filterScale;
        int kernelSize = (int) Math.ceil(support) * 2 + 1;
        int[] start = new int[outSize];
        int[] count = new int[outSize];
        double[] weights = new double[outSize * kernelSize];
        double inverse = 1.0 / filterScale; // Pillow multiplies by the reciprocal; keep it for bit-exact weights
        for (int i = 0; i < outSize; i++) {
            double center = (i + 0.5) * scale;
            int min = Math.max(0, (int) (center - support + 0.5));
            int n = Math.min(inSize, (int) (center + support + 0.5)) - min;
            double sum = 0;
            for (int j = 0; j < n; j++) {
                double w = cubic((j + min - center + 0.5) * inverse);
                weights[i * kernelSize + j] = w;
                sum += w;
            }
            if (sum != 0) for (int j = 0; j < n; j++) weights[i * kernelSize + j] /= sum;
            start[i] = min;
            count[i] = n;
        }
        return new BicubicWeights(inSize, outSize, kernelSize, start, count, weights);
    }

    /** Pillow's {@code bicubic_filter}, same evaluation order. */
    static double cubic(double x) {
        final double a = -0.5;
        if (x < 0) x = -x;
        if (x < 1) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
        if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
        return 0;
    }

    /** The weights in fixed point with 22 fractional bits, rounded half away from zero. */
    int[] fixedPoint() {
        int[] k = new int[weights.length];
        double one = 1 << PRECISION_BITS;
        for (int i = 0; i < k.length; i++) {
            double w = weights[i];
            k[i] = w < 0 ? (int) (-0.5 + w * one) : (int) (0.5 + w * one);
        }
        return k;
    }
}
