package sdclip.engine.cpu;

import java.util.Arrays;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Attention for one (sequence, head), fused. The head's keys are first transposed into
 * scratch ({@code [headDim][seq]}, zero-padded to whole vectors), so each query's scores
 * against keys 0..n-1 (n = i + 1 when causal, else seq) come from broadcast-FMAs over key
 * positions: no horizontal sums, which would make the rounding depend on the JIT. Then a
 * softmax over those n scores and the weighted sum of values; a causal mask's hidden half is
 * never summed.
 *
 * <p>Queries go four at a time: each key or value vector loaded serves all four (16 FMAs per 4
 * loads and 4 broadcasts, instead of one FMA per load), which matters for the vision tower's
 * 257 x 257 attention. Every score and output still sums over its own terms in order, from
 * zero, so the grouping changes no bit.
 */
final class Attention {
    private Attention() {}

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    /** Queries per block. */
    static final int QB = 4;

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
        int padded = (seq + L - 1) / L * L;
        float[] kt = scratch.keys(headDim * padded), scores = scratch.scores(QB * padded);
        for (int d = 0; d < headDim; d++) {
            int row = d * padded;
            for (int j = 0; j < seq; j++) kt[row + j] = qkv[base + j * stride + k0 + d];
            Arrays.fill(kt, row + seq, row + padded, 0f);
        }
        float scale = (float) (1 / Math.sqrt(headDim));
        Head head = scratch.head.set(qkv, out, kt, scores, padded, headDim, stride, width, scale);
        for (int i = 0; i < seq; i += QB) {
            int queries = Math.min(QB, seq - i), qi = base + i * stride + q0;
            if (queries == QB) {
                // Scores up to the block's last query's n; the others' softmax ignores the excess.
                int n = causal ? i + QB : seq, j = 0;
                for (; j + 3 * L < n; j += 4 * L) head.scoreBlock4(qi, j);
                for (int q = 0; q < QB; q++) head.scores1(qi + q * stride, j, n, q * padded);
            } else {
                for (int q = 0; q < queries; q++)
                    head.scores1(qi + q * stride, 0, causal ? i + q + 1 : seq, q * padded);
            }
            for (int q = 0; q < queries; q++) softmax(scores, q * padded, causal ? i + q + 1 : seq);
            int oi = (b * seq + i) * width + q0, vi = base + v0;
            if (queries == QB && causal) {
                head.values4(vi, oi, 0, i + 1); // the keys all four see
                for (int q = 1; q < QB; q++) head.values1(vi, oi + q * width, q * padded, i + 1, i + q + 1, false);
            } else if (queries == QB) {
                head.values4(vi, oi, 0, seq);
            } else {
                for (int q = 0; q < queries; q++)
                    head.values1(vi, oi + q * width, q * padded, 0, causal ? i + q + 1 : seq, true);
            }
        }
    }

    /**
     * One head's operands, one holder per worker, refilled per call (a forward pass allocates
     * nothing). {@code scores} holds {@link #QB} rows of {@code padded} floats; {@code kt} the
     * transposed keys. Query and value offsets index {@code qkv}, output offsets {@code out}.
     */
    static final class Head {
        private float[] qkv, out, kt, scores;
        private int padded, headDim, stride, width;
        private float scale;

        Head set(
                float[] qkv,
                float[] out,
                float[] kt,
                float[] scores,
                int padded,
                int headDim,
                int stride,
                int width,
                float scale) {
            this.qkv = qkv;
            this.out = out;
            this.kt = kt;
            this.scores = scores;
            this.padded = padded;
            this.headDim = headDim;
            this.stride = stride;
            this.width = width;
            this.scale = scale;
            return this;
        }

        /** Scores of one query (at {@code qi}) against keys [j, n), times scale, into its row at {@code s0}. */
        void scores1(int qi, int j, int n, int s0) {
            for (; j + 3 * L < n; j += 4 * L) { // four key vectors per sweep over d: four FMA chains
                FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
                for (int d = 0; d < headDim; d++) {
                    FloatVector q = FloatVector.broadcast(S, qkv[qi + d]);
                    int r = d * padded + j;
                    a0 = FloatVector.fromArray(S, kt, r).fma(q, a0);
                    a1 = FloatVector.fromArray(S, kt, r + L).fma(q, a1);
                    a2 = FloatVector.fromArray(S, kt, r + 2 * L).fma(q, a2);
                    a3 = FloatVector.fromArray(S, kt, r + 3 * L).fma(q, a3);
                }
                a0.mul(scale).intoArray(scores, s0 + j);
                a1.mul(scale).intoArray(scores, s0 + j + L);
                a2.mul(scale).intoArray(scores, s0 + j + 2 * L);
                a3.mul(scale).intoArray(scores, s0 + j + 3 * L);
            }
            for (; j < n; j += L) {
                FloatVector acc = FloatVector.zero(S);
                for (int d = 0; d < headDim; d++)
                    acc = FloatVector.fromArray(S, kt, d * padded + j).fma(FloatVector.broadcast(S, qkv[qi + d]), acc);
                acc.mul(scale).intoArray(scores, s0 + j);
            }
        }

        /**
         * Scores of four consecutive queries (the first at {@code qi}) against four key vectors
         * from key {@code j}, into rows 0..3: 16 accumulators. As in {@link #valueBlock4}, no
         * helper takes or returns a vector.
         */
        void scoreBlock4(int qi, int j) {
            FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
            FloatVector c0 = a0, c1 = a0, c2 = a0, c3 = a0, e0 = a0, e1 = a0, e2 = a0, e3 = a0;
            for (int d = 0; d < headDim; d++) {
                int r = d * padded + j, x = qi + d;
                FloatVector k0 = FloatVector.fromArray(S, kt, r), k1 = FloatVector.fromArray(S, kt, r + L);
                FloatVector k2 = FloatVector.fromArray(S, kt, r + 2 * L), k3 = FloatVector.fromArray(S, kt, r + 3 * L);
                FloatVector q = FloatVector.broadcast(S, qkv[x]);
                a0 = k0.fma(q, a0);
                a1 = k1.fma(q, a1);
                a2 = k2.fma(q, a2);
                a3 = k3.fma(q, a3);
                q = FloatVector.broadcast(S, qkv[x + stride]);
                b0 = k0.fma(q, b0);
                b1 = k1.fma(q, b1);
                b2 = k2.fma(q, b2);
                b3 = k3.fma(q, b3);
                q = FloatVector.broadcast(S, qkv[x + 2 * stride]);
                c0 = k0.fma(q, c0);
                c1 = k1.fma(q, c1);
                c2 = k2.fma(q, c2);
                c3 = k3.fma(q, c3);
                q = FloatVector.broadcast(S, qkv[x + 3 * stride]);
                e0 = k0.fma(q, e0);
                e1 = k1.fma(q, e1);
                e2 = k2.fma(q, e2);
                e3 = k3.fma(q, e3);
            }
            int p = padded;
            a0.mul(scale).intoArray(scores, j);
            a1.mul(scale).intoArray(scores, j + L);
            a2.mul(scale).intoArray(scores, j + 2 * L);
            a3.mul(scale).intoArray(scores, j + 3 * L);
            b0.mul(scale).intoArray(scores, p + j);
            b1.mul(scale).intoArray(scores, p + j + L);
            b2.mul(scale).intoArray(scores, p + j + 2 * L);
            b3.mul(scale).intoArray(scores, p + j + 3 * L);
            c0.mul(scale).intoArray(scores, 2 * p + j);
            c1.mul(scale).intoArray(scores, 2 * p + j + L);
            c2.mul(scale).intoArray(scores, 2 * p + j + 2 * L);
            c3.mul(scale).intoArray(scores, 2 * p + j + 3 * L);
            e0.mul(scale).intoArray(scores, 3 * p + j);
            e1.mul(scale).intoArray(scores, 3 * p + j + L);
            e2.mul(scale).intoArray(scores, 3 * p + j + 2 * L);
            e3.mul(scale).intoArray(scores, 3 * p + j + 3 * L);
        }

        /**
         * One query's output (at {@code oi}) from its score row {@code s0}: the sum over keys
         * [from, to) of score x value, starting from zero when {@code fresh}, else continuing
         * the partial sums already in {@code out}.
         */
        void values1(int vi, int oi, int s0, int from, int to, boolean fresh) {
            int d = 0, upper = S.loopBound(headDim);
            for (; d + 4 * L <= headDim; d += 4 * L) { // four output vectors per sweep over the keys
                FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
                if (!fresh) {
                    a0 = FloatVector.fromArray(S, out, oi + d);
                    a1 = FloatVector.fromArray(S, out, oi + d + L);
                    a2 = FloatVector.fromArray(S, out, oi + d + 2 * L);
                    a3 = FloatVector.fromArray(S, out, oi + d + 3 * L);
                }
                for (int k = from; k < to; k++) {
                    FloatVector p = FloatVector.broadcast(S, scores[s0 + k]);
                    int v = vi + k * stride + d;
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
                FloatVector acc = fresh ? FloatVector.zero(S) : FloatVector.fromArray(S, out, oi + d);
                for (int k = from; k < to; k++)
                    acc = FloatVector.fromArray(S, qkv, vi + k * stride + d)
                            .fma(FloatVector.broadcast(S, scores[s0 + k]), acc);
                acc.intoArray(out, oi + d);
            }
            for (; d < headDim; d++) {
                float acc = fresh ? 0 : out[oi + d];
                for (int k = from; k < to; k++) acc = Math.fma(scores[s0 + k], qkv[vi + k * stride + d], acc);
                out[oi + d] = acc;
            }
        }

        /** Four queries x four output vectors (from dimension {@code d}, at {@code oi}), from zero: 16 accumulators. */
        private void valueBlock4(int vi, int oi, int d, int from, int to) {
            // No helper takes or returns a vector here: one the JIT does not inline boxes them.
            int w = width, p = padded;
            FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
            FloatVector c0 = a0, c1 = a0, c2 = a0, c3 = a0, e0 = a0, e1 = a0, e2 = a0, e3 = a0;
            for (int k = from; k < to; k++) {
                int v = vi + k * stride + d;
                FloatVector v0 = FloatVector.fromArray(S, qkv, v), v1 = FloatVector.fromArray(S, qkv, v + L);
                FloatVector v2 = FloatVector.fromArray(S, qkv, v + 2 * L),
                        v3 = FloatVector.fromArray(S, qkv, v + 3 * L);
                FloatVector x = FloatVector.broadcast(S, scores[k]);
                a0 = v0.fma(x, a0);
                a1 = v1.fma(x, a1);
                a2 = v2.fma(x, a2);
                a3 = v3.fma(x, a3);
                x = FloatVector.broadcast(S, scores[p + k]);
                b0 = v0.fma(x, b0);
                b1 = v1.fma(x, b1);
                b2 = v2.fma(x, b2);
                b3 = v3.fma(x, b3);
                x = FloatVector.broadcast(S, scores[2 * p + k]);
                c0 = v0.fma(x, c0);
                c1 = v1.fma(x, c1);
                c2 = v2.fma(x, c2);
                c3 = v3.fma(x, c3);
                x = FloatVector.broadcast(S, scores[3 * p + k]);
                e0 = v0.fma(x, e0);
                e1 = v1.fma(x, e1);
                e2 = v2.fma(x, e2);
                e3 = v3.fma(x, e3);
            }
            a0.intoArray(out, oi);
            a1.intoArray(out, oi + L);
            a2.intoArray(out, oi + 2 * L);
            a3.intoArray(out, oi + 3 * L);
            b0.intoArray(out, oi + w);
            b1.intoArray(out, oi + w + L);
            b2.intoArray(out, oi + w + 2 * L);
            b3.intoArray(out, oi + w + 3 * L);
            c0.intoArray(out, oi + 2 * w);
            c1.intoArray(out, oi + 2 * w + L);
            c2.intoArray(out, oi + 2 * w + 2 * L);
            c3.intoArray(out, oi + 2 * w + 3 * L);
            e0.intoArray(out, oi + 3 * w);
            e1.intoArray(out, oi + 3 * w + L);
            e2.intoArray(out, oi + 3 * w + 2 * L);
            e3.intoArray(out, oi + 3 * w + 3 * L);
        }

        /** Outputs of four consecutive queries (the first at {@code oi}, score rows 0..3): sums over keys [from, to) from zero. */
        void values4(int vi, int oi, int from, int to) {
            int d = 0, upper = S.loopBound(headDim);
            for (; d + 4 * L <= headDim; d += 4 * L) valueBlock4(vi, oi + d, d, from, to);
            for (; d < upper; d += L) { // one output vector of four queries per sweep over the keys
                FloatVector a = FloatVector.zero(S), b = a, c = a, e = a;
                int p = padded;
                for (int k = from; k < to; k++) {
                    FloatVector v = FloatVector.fromArray(S, qkv, vi + k * stride + d);
                    a = v.fma(FloatVector.broadcast(S, scores[k]), a);
                    b = v.fma(FloatVector.broadcast(S, scores[p + k]), b);
                    c = v.fma(FloatVector.broadcast(S, scores[2 * p + k]), c);
                    e = v.fma(FloatVector.broadcast(S, scores[3 * p + k]), e);
                }
                a.intoArray(out, oi + d);
                b.intoArray(out, oi + width + d);
                c.intoArray(out, oi + 2 * width + d);
                e.intoArray(out, oi + 3 * width + d);
            }
            for (int q = 0; q < QB; q++) {
                for (int dd = d; dd < headDim; dd++) {
                    float acc = 0;
                    for (int k = from; k < to; k++)
                        acc = Math.fma(scores[q * padded + k], qkv[vi + k * stride + dd], acc);
                    out[oi + q * width + dd] = acc;
                }
            }
        }
    }

    /**
     * Softmax of {@code s[from, from + n)}. The exponentials go lane-wise (the vector exp rounds
     * as the scalar one); the sum stays one scalar chain in order, as every backend sums it.
     * (It was scalar while the attention was one large method, into which C2 inlined a vector
     * softmax that then stayed boxed; with the attention in small methods this one compiles,
     * and made the whole attention 1.3x faster.)
     */
    private static void softmax(float[] s, int from, int n) {
        int to = from + n, upper = from + S.loopBound(n), j;
        float max = Float.NEGATIVE_INFINITY;
        for (j = from; j < to; j++) max = Math.max(max, s[j]);
        FloatVector m = FloatVector.broadcast(S, max);
        for (j = from; j < upper; j += L)
            VectorMath.exp(FloatVector.fromArray(S, s, j).sub(m)).intoArray(s, j);
        for (; j < to; j++) s[j] = VectorMath.exp(s[j] - max);
        float sum = 0;
        for (j = from; j < to; j++) sum += s[j];
        float inv = 1 / sum;
        for (j = from; j < to; j++) s[j] *= inv;
    }
}
