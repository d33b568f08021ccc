package sdclip.engine;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Causal attention for one (sequence, head), fused: for each query, the scores against keys
 * 0..i only (the masked half is never computed), a softmax over them, and the weighted sum of
 * values, all in one pass with {@code seq} floats of scratch.
 */
final class Attention {
    private Attention() {}

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    static void head(float[] qkv, float[] out, int b, int h, int seq, int heads, int headDim, float[] scores) {
        int width = heads * headDim, stride = 3 * width;
        int base = b * seq * stride, q0 = h * headDim, k0 = width + q0, v0 = 2 * width + q0;
        float scale = (float) (1 / Math.sqrt(headDim));
        int upper = S.loopBound(headDim);
        for (int i = 0; i < seq; i++) {
            int qi = base + i * stride + q0;
            for (int j = 0; j <= i; j++) scores[j] = dot(qkv, qi, base + j * stride + k0, headDim, upper) * scale;
            Activations.softmax(scores, 0, i + 1);
            int oi = (b * seq + i) * width + q0;
            int d = 0;
            for (; d < upper; d += L) {
                FloatVector acc = FloatVector.zero(S);
                for (int j = 0; j <= i; j++) {
                    acc = FloatVector.fromArray(S, qkv, base + j * stride + v0 + d).fma(FloatVector.broadcast(S, scores[j]), acc);
                }
                acc.intoArray(out, oi + d);
            }
            for (; d < headDim; d++) {
                float acc = 0;
                for (int j = 0; j <= i; j++) acc += scores[j] * qkv[base + j * stride + v0 + d];
                out[oi + d] = acc;
            }
        }
    }

    private static float dot(float[] a, int ai, int bi, int n, int upper) {
        FloatVector acc = FloatVector.zero(S);
        int d = 0;
        for (; d < upper; d += L) acc = FloatVector.fromArray(S, a, ai + d).fma(FloatVector.fromArray(S, a, bi + d), acc);
        float s = acc.reduceLanes(VectorOperators.ADD);
        for (; d < n; d++) s += a[ai + d] * a[bi + d];
        return s;
    }
}
