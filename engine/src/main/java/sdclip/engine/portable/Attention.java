package sdclip.engine.portable;

import java.util.Arrays;

import sdclip.engine.support.ScalarMath;

/**
 * Attention for one (sequence, head), fused. The head's keys are transposed into one array per
 * head dimension and its values copied into one array per key, so both inner loops index every
 * array alike ({@code [j]}, {@code [d]}), which C2 needs to vectorize them (see {@link Gemm}):
 * a query's scores against keys 0..n-1 (n = i + 1 when causal, else seq) build up one head
 * dimension at a time, and its output one key at a time. Every value sums in the Vector API
 * backend's order, so the two agree bit for bit. A causal mask's hidden half is never computed.
 */
final class Attention {
    private Attention() {}

    static void head(
            float[] qkv,
            float[] out,
            int b,
            int h,
            int seq,
            int heads,
            int headDim,
            boolean causal,
            Gemm.Scratch scratch) {
        int width = heads * headDim, stride = 3 * width;
        int base = b * seq * stride, q0 = h * headDim, k0 = width + q0, v0 = 2 * width + q0;
        float[][] kt = scratch.keys(headDim, seq), vr = scratch.valueRows(seq, headDim);
        float[] scores = scratch.scores(seq), acc = scratch.values(headDim);
        for (int j = 0; j < seq; j++) {
            int row = base + j * stride;
            for (int d = 0; d < headDim; d++) kt[d][j] = qkv[row + k0 + d];
            System.arraycopy(qkv, row + v0, vr[j], 0, headDim);
        }
        float scale = (float) (1 / Math.sqrt(headDim));
        for (int i = 0; i < seq; i++) {
            int qi = base + i * stride + q0, n = causal ? i + 1 : seq;
            Arrays.fill(scores, 0, n, 0f);
            for (int d = 0; d < headDim; d++) {
                float q = qkv[qi + d];
                float[] kd = kt[d];
                for (int j = 0; j < n; j++) scores[j] = Math.fma(kd[j], q, scores[j]);
            }
            for (int j = 0; j < n; j++) scores[j] *= scale;
            softmax(scores, n);
            Arrays.fill(acc, 0, headDim, 0f);
            for (int k = 0; k < n; k++) {
                float p = scores[k];
                float[] v = vr[k];
                for (int d = 0; d < headDim; d++) acc[d] = Math.fma(v[d], p, acc[d]);
            }
            System.arraycopy(acc, 0, out, (b * seq + i) * width + q0, headDim);
        }
    }

    /** Softmax of {@code s[0, n)}: max, then exp and sum in order, then one scale. */
    private static void softmax(float[] s, int n) {
        float max = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < n; j++) max = Math.max(max, s[j]);
        float sum = 0;
        for (int j = 0; j < n; j++) {
            float e = ScalarMath.exp(s[j] - max);
            s[j] = e;
            sum += e;
        }
        float inv = 1 / sum;
        for (int j = 0; j < n; j++) s[j] *= inv;
    }
}
