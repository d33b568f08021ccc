package sdclip.engine.support;

/**
 * exp, QuickGELU and GELU in plain Java: the one scalar form the CPU backends share. The Vector
 * API backend's vector forms ({@code cpu/VectorMath}, {@code cpu/Activations}) use these
 * constants and round identically, and take their scalar tails from here, so the portable and
 * Vector API backends agree bit for bit on elementwise ops. No Vector API type may appear here:
 * the portable backend loads this class on JVMs without {@code jdk.incubator.vector}.
 * exp: Cody-Waite reduction x = n ln2 + r, |r| <= ln2/2, a degree-7 Taylor polynomial in FMAs
 * (truncation below 5e-9), 2^n placed straight into the exponent bits; 0 below -87.3, so
 * exp(-inf) is exactly 0. No {@code Math.exp}: its last bit may differ between the interpreter
 * and C2, which would tie results to JIT warm-up.
 */
public final class ScalarMath {
    private ScalarMath() {}

    /** exp's constants, shared with the vector form. */
    public static final float LOG2E = 1.44269504f, LN2_HI = 0.693145751953125f, LN2_LO = 1.42860677e-6f;

    public static final float MAGIC = 12582912f; // 1.5 * 2^23: adding it rounds to an integer in the low bits
    public static final float MIN = -87.3f, MAX = 88.3f;
    public static final float C2 = 1f / 2, C3 = 1f / 6, C4 = 1f / 24, C5 = 1f / 120, C6 = 1f / 720, C7 = 1f / 5040;
    private static final float INV_SQRT2 = (float) (1 / Math.sqrt(2));

    /** {@return e^x in float, deterministic: NaN for NaN, 0 below -87.3} */
    public static float exp(float x) {
        if (x < MIN || Float.isNaN(x)) return Float.isNaN(x) ? x : 0f;
        float xc = Math.min(x, MAX);
        float t = Math.fma(xc, LOG2E, MAGIC);
        float n = t - MAGIC;
        float r = Math.fma(n, -LN2_HI, xc);
        r = Math.fma(n, -LN2_LO, r);
        float p = Math.fma(r, C7, C6);
        p = Math.fma(p, r, C5);
        p = Math.fma(p, r, C4);
        p = Math.fma(p, r, C3);
        p = Math.fma(p, r, C2);
        p = Math.fma(p, r, 1f);
        p = Math.fma(p, r, 1f);
        int scale = (Float.floatToRawIntBits(t) - (0x4B400000 - 127)) << 23;
        return p * Float.intBitsToFloat(scale);
    }

    /** x * sigmoid(1.702 x), in place over {@code a[from, to)}. */
    public static void quickGelu(float[] a, int from, int to) {
        for (int i = from; i < to; i++) a[i] = a[i] / (1 + exp(a[i] * -1.702f));
    }

    /** 0.5 x (1 + erf(x / sqrt 2)), in place over {@code a[from, to)}. */
    public static void gelu(float[] a, int from, int to) {
        for (int i = from; i < to; i++) a[i] = gelu(a[i]);
    }

    /**
     * gelu(x) = 0.5 x erfc(-x / sqrt 2), erfc from the Chebyshev-fitted form of Numerical Recipes
     * (fractional error below 1.2e-7), so both tails keep float precision.
     */
    public static float gelu(float x) {
        float z = Math.abs(x) * INV_SQRT2;
        float t = 1 / (1 + 0.5f * z);
        float p = -1.26551223f
                + t
                        * (1.00002368f
                                + t
                                        * (0.37409196f
                                                + t
                                                        * (0.09678418f
                                                                + t
                                                                        * (-0.18628806f
                                                                                + t
                                                                                        * (0.27886807f
                                                                                                + t
                                                                                                        * (-1.13520398f
                                                                                                                + t
                                                                                                                        * (1.48851587f
                                                                                                                                + t
                                                                                                                                        * (-0.82215223f
                                                                                                                                                + t
                                                                                                                                                        * 0.17087277f))))))));
        float e = t * exp(Math.fma(-0.5f * x, x, p)); // erfc(|x| / sqrt 2)
        return 0.5f * x * (x < 0 ? e : 2 - e);
    }
}
