package sdclip.engine.portable;

/**
 * Attention for one (sequence, head), fused. The head's keys are transposed into scratch
 * ({@code [headDim][seq]}), so a query's scores against keys 0..n-1 (n = i + 1 when causal,
 * else seq) build up one head dimension at a time in a loop over key positions, and the output
 * one key at a time in a loop over head dimensions: both inner loops are contiguous, and every
 * value sums in the Vector API backend's order (so the two agree bit for bit). A causal mask's
 * hidden half is never computed.
 */
final class Attention {
    private Attention() {}

    static void head(float[] qkv, float[] out, int b, int h, int seq, int heads, int headDim, boolean causal, Gemm.Scratch scratch) {
        int width = heads * headDim, stride = 3 * width;
        int base = b * seq * stride, q0 = h * headDim, k0 = width + q0, v0 = 2 * width + q0;
        float[] kt = scratch.keys(headDim * seq), scores = scratch.scores(seq);
        for (int d = 0; d < headDim; d++) {
            for (int j = 0; j < seq; j++) kt[d * seq + j] = qkv[base + j * stride + k0 + d];
        }
        float scale = (float) (1 / Math.sqrt(headDim));
        for (int i = 0; i < seq; i++) {
            int qi = base + i * stride + q0, n = causal ? i + 1 : seq;
            java.util.Arrays.fill(scores, 0, n, 0f);
            for (int d = 0; d < headDim; d++) {
                float q = qkv[qi + d];
                int row = d * seq;
                for (int j = 0; j < n; j++) scores[j] = Math.fma(kt[row + j], q, scores[j]);
            }
            for (int j = 0; j < n; j++) scores[j] *= scale;
            softmax(scores, n);
            int oi = (b * seq + i) * width + q0;
            java.util.Arrays.fill(out, oi, oi + headDim, 0f);
            for (int k = 0; k < n; k++) {
                float p = scores[k];
                int v = base + k * stride + v0;
                for (int d = 0; d < headDim; d++) out[oi + d] = Math.fma(qkv[v + d], p, out[oi + d]);
            }
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
