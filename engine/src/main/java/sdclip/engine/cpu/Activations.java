package sdclip.engine.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import sdclip.engine.support.ScalarMath;

/** Vectorised elementwise kernels: QuickGELU and exact GELU, in place. */
final class Activations {
    private Activations() {}

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final float INV_SQRT2 = (float) (1 / Math.sqrt(2));

    static void quickGelu(float[] a, int from, int to) {
        int i = from, upper = from + S.loopBound(to - from);
        for (; i < upper; i += L) {
            FloatVector x = FloatVector.fromArray(S, a, i);
            FloatVector e = VectorMath.exp(x.mul(-1.702f));
            x.div(e.add(1f)).intoArray(a, i);
        }
        ScalarMath.quickGelu(a, i, to); // the tail, rounding as the lanes
    }

    /**
     * gelu(x) = 0.5 x erfc(-x / sqrt 2), with erfc from the Chebyshev-fitted form of Numerical
     * Recipes (fractional error below 1.2e-7 everywhere), so both tails keep float precision.
     */
    static void gelu(float[] a, int from, int to) {
        int i = from, upper = from + S.loopBound(to - from);
        for (; i < upper; i += L) {
            FloatVector x = FloatVector.fromArray(S, a, i);
            FloatVector e = erfcOfXOverSqrt2(x);
            VectorMask<Float> negative = x.compare(VectorOperators.LT, 0f);
            // x >= 0: erfc(-z) = 2 - erfc(z); x < 0: erfc(z).
            FloatVector factor = FloatVector.broadcast(S, 2f).sub(e).blend(e, negative);
            x.mul(0.5f).mul(factor).intoArray(a, i);
        }
        ScalarMath.gelu(a, i, to); // the tail, rounding as the lanes
    }

    static float gelu(float x) {
        return ScalarMath.gelu(x);
    }

    /** erfc(|x| / sqrt 2); the exponent -x^2/2 + p is formed from x with one rounding (fma). */
    private static FloatVector erfcOfXOverSqrt2(FloatVector x) {
        FloatVector z = x.abs().mul(INV_SQRT2);
        FloatVector t = FloatVector.broadcast(S, 1f).div(z.mul(0.5f).add(1f));
        FloatVector p = t.mul(0.17087277f).add(-0.82215223f);
        p = p.mul(t).add(1.48851587f);
        p = p.mul(t).add(-1.13520398f);
        p = p.mul(t).add(0.27886807f);
        p = p.mul(t).add(-0.18628806f);
        p = p.mul(t).add(0.09678418f);
        p = p.mul(t).add(0.37409196f);
        p = p.mul(t).add(1.00002368f);
        p = p.mul(t).add(-1.26551223f);
        return t.mul(VectorMath.exp(x.mul(-0.5f).fma(x, p)));
    }

    /**
     * The lanes of {@code v} summed in lane order. {@code reduceLanes(ADD)} leaves the order
     * unspecified, and the interpreter and C2 round differently; a fixed order keeps results
     * independent of JIT warm-up (and so of batching and concurrency).
     */
    static float sumLanes(FloatVector v) {
        float s = 0;
        for (int i = 0; i < L; i++) s += v.lane(i); // lane by lane: toArray() allocated per call
        return s;
    }
}
