package sdclip.engine.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Attention for one (sequence, head), fused. The head's keys are first transposed into
 * scratch ({@code [headDim][seq]}, zero-padded to whole vectors), so each query's scores
 * against keys 0..n-1 (n = i + 1 when causal, else seq) come from broadcast-FMAs over key
 * positions: no horizontal sums, which would make the rounding depend on the JIT. Then a
 * softmax over those n scores and the weighted sum of values; a causal mask's hidden half is
 * never computed.
 */
final class Attention {
    private Attention() {}

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    static void head(float[] qkv, float[] out, int b, int h, int seq, int heads, int headDim, boolean causal, Gemm.Scratch scratch) {
        int width = heads * headDim, stride = 3 * width;
        int base = b * seq * stride, q0 = h * headDim, k0 = width + q0, v0 = 2 * width + q0;
        int padded = (seq + L - 1) / L * L;
        float[] kt = scratch.keys(headDim * padded), scores = scratch.scores(padded);
        for (int d = 0; d < headDim; d++) {
            int row = d * padded;
            for (int j = 0; j < seq; j++) kt[row + j] = qkv[base + j * stride + k0 + d];
            java.util.Arrays.fill(kt, row + seq, row + padded, 0f);
        }
        float scale = (float) (1 / Math.sqrt(headDim));
        int upper = S.loopBound(headDim);
        for (int i = 0; i < seq; i++) {
            int qi = base + i * stride + q0, n = causal ? i + 1 : seq;
            // Four key vectors per sweep over d: four independent FMA chains instead of one.
            // Each score still sums over d in order, so results do not depend on the grouping.
            int j = 0;
            for (; j + 3 * L < n; j += 4 * L) { // all four vectors start below n, as single ones would
                FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
                for (int d = 0; d < headDim; d++) {
                    FloatVector q = FloatVector.broadcast(S, qkv[qi + d]);
                    int r = d * padded + j;
                    a0 = FloatVector.fromArray(S, kt, r).fma(q, a0);
                    a1 = FloatVector.fromArray(S, kt, r + L).fma(q, a1);
                    a2 = FloatVector.fromArray(S, kt, r + 2 * L).fma(q, a2);
                    a3 = FloatVector.fromArray(S, kt, r + 3 * L).fma(q, a3);
                }
                a0.mul(scale).intoArray(scores, j);
                a1.mul(scale).intoArray(scores, j + L);
                a2.mul(scale).intoArray(scores, j + 2 * L);
                a3.mul(scale).intoArray(scores, j + 3 * L);
            }
            for (; j < n; j += L) {
                FloatVector acc = FloatVector.zero(S);
                for (int d = 0; d < headDim; d++) acc = FloatVector.fromArray(S, kt, d * padded + j).fma(FloatVector.broadcast(S, qkv[qi + d]), acc);
                acc.mul(scale).intoArray(scores, j);
            }
            softmax(scores, n);
            int oi = (b * seq + i) * width + q0;
            int d = 0;
            // Likewise four output vectors per sweep over the keys, each summed over j in order.
            for (; d + 4 * L <= headDim; d += 4 * L) {
                FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
                for (int k = 0; k < n; k++) {
                    FloatVector p = FloatVector.broadcast(S, scores[k]);
                    int v = base + k * stride + v0 + d;
                    a0 = FloatVector.fromArray(S, qkv, v).fma(p, a0);
                    a1 = FloatVector.fromArray(S, qkv, v + L).fma(p, a1);
                    a2 = FloatVector.fromArray(S, qkv, v + 2 * L).fma(p, a2);
                    a3 = FloatVector.fromArray(S, qkv, v + 3 * L).fma(p, a3);
                }
                a0.intoArray(out, oi + d);
                a1.intoArray(out, oi + d + L);
                a2.intoArray(out, oi + d + 2 * L);
                a3.intoArray(out, oi + d + 3 * L);
            }
            for (; d < upper; d += L) {
                FloatVector acc = FloatVector.zero(S);
                for (int k = 0; k < n; k++) {
                    acc = FloatVector.fromArray(S, qkv, base + k * stride + v0 + d).fma(FloatVector.broadcast(S, scores[k]), acc);
                }
                acc.intoArray(out, oi + d);
            }
            for (; d < headDim; d++) {
                float acc = 0;
                for (int k = 0; k < n; k++) acc = Math.fma(scores[k], qkv[base + k * stride + v0 + d], acc);
                out[oi + d] = acc;
            }
        }
    }

    /**
     * Softmax of {@code s[0, n)}, scalar: the rows are short (at most the context), and the
     * vector version, called from here, stayed in the JIT's non-intrinsified path (allocating
     * a boxed vector per operation) after hundreds of thousands of calls.
     */
    private static void softmax(float[] s, int n) {
        float max = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < n; j++) max = Math.max(max, s[j]);
        float sum = 0;
        for (int j = 0; j < n; j++) {
            float e = VectorMath.exp(s[j] - max);
            s[j] = e;
            sum += e;
        }
        float inv = 1 / sum;
        for (int j = 0; j < n; j++) s[j] *= inv;
    }
}
