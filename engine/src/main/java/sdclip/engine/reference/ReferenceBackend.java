package sdclip.engine.reference;

import java.util.List;

import sdclip.engine.Activation;
import sdclip.engine.Weights;
import sdclip.engine.support.HeapActivation;
import sdclip.engine.support.HeapBackend;
import sdclip.engine.support.LinearShapes;

/**
 * The oracle: plain scalar loops with double accumulation, no packing, no threads, written to
 * be obviously right. Every other backend is tested against it. Slow by design.
 */
public final class ReferenceBackend extends HeapBackend {

    private record RefLinear(List<Weights> rows, List<Weights> bias, int in, int out) implements Linear {
        /** Row {@code o} of W into {@code dst}, walking the stacked row blocks (a quantized row dequantizes whole). */
        void weightRow(int o, float[] dst) {
            for (Weights block : rows) {
                long blockRows = block.size() / in;
                if (o < blockRows) {
                    block.copyTo((long) o * in, dst, 0, in);
                    return;
                }
                o -= (int) blockRows;
            }
            throw new IndexOutOfBoundsException(o);
        }

        double bias(int o) {
            for (Weights block : bias) {
                if (o < block.size()) return block.get(o);
                o -= (int) block.size();
            }
            return 0;
        }
    }

    private record RefNorm(Weights gamma, Weights beta, int dim, float eps) implements Norm {}

    @Override
    public String name() {
        return "reference";
    }

    @Override
    public int threads() {
        return 1;
    }

    @Override
    public Linear prepareLinear(List<Weights> weightRows, List<Weights> biasRows, int in) {
        return new RefLinear(
                List.copyOf(weightRows), List.copyOf(biasRows), in, LinearShapes.outRows(weightRows, biasRows, in));
    }

    /** Keeps the stored values and reads them in place: the oracle shares no preparation with the fast backends. */
    @Override
    public Norm prepareNorm(Weights gamma, Weights beta, int dim, float eps) {
        LinearShapes.requireSize("layer norm weight", gamma, dim);
        LinearShapes.requireSize("layer norm bias", beta, dim);
        return new RefNorm(gamma, beta, dim, eps);
    }

    @Override
    public void linear(Linear w, Activation x, int rows, Activation y) {
        RefLinear l = (RefLinear) w;
        float[] in = HeapActivation.of(x), out = HeapActivation.of(y);
        float[] row = new float[l.in];
        for (int o = 0; o < l.out; o++) {
            l.weightRow(o, row);
            for (int r = 0; r < rows; r++) {
                double sum = l.bias(o);
                for (int k = 0; k < l.in; k++) sum += (double) in[r * l.in + k] * row[k];
                out[r * l.out + o] = (float) sum;
            }
        }
    }

    @Override
    public void layerNorm(Norm n, Activation x, int rows, Activation y) {
        RefNorm p = (RefNorm) n;
        float[] in = HeapActivation.of(x), out = HeapActivation.of(y);
        int d = p.dim;
        for (int r = 0; r < rows; r++) {
            double mean = 0;
            for (int i = 0; i < d; i++) mean += in[r * d + i];
            mean /= d;
            double var = 0;
            for (int i = 0; i < d; i++) {
                double c = in[r * d + i] - mean;
                var += c * c;
            }
            var /= d;
            double inv = 1 / Math.sqrt(var + p.eps);
            for (int i = 0; i < d; i++) {
                out[r * d + i] = (float) ((in[r * d + i] - mean) * inv * p.gamma.get(i) + p.beta.get(i));
            }
        }
    }

    @Override
    public void quickGelu(Activation x, int n) {
        float[] a = HeapActivation.of(x);
        for (int i = 0; i < n; i++) a[i] = (float) Erf.quickGelu(a[i]);
    }

    @Override
    public void gelu(Activation x, int n) {
        float[] a = HeapActivation.of(x);
        for (int i = 0; i < n; i++) a[i] = (float) Erf.gelu(a[i]);
    }

    private static void softmaxRow(float[] a, int off, int n) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) max = Math.max(max, a[off + i]);
        double sum = 0;
        double[] e = new double[n];
        for (int i = 0; i < n; i++) {
            e[i] = a[off + i] == Float.NEGATIVE_INFINITY ? 0 : Math.exp(a[off + i] - max);
            sum += e[i];
        }
        for (int i = 0; i < n; i++) a[off + i] = (float) (e[i] / sum);
    }

    @Override
    public void add(Activation acc, Activation x, int n) {
        float[] a = HeapActivation.of(acc), b = HeapActivation.of(x);
        for (int i = 0; i < n; i++) a[i] += b[i];
    }

    @Override
    public void embed(Embedding e, int[] ids, int batch, int seq, Activation out) {
        HeapEmbedding p = (HeapEmbedding) e;
        LinearShapes.checkIds(ids, batch, seq, p.vocab, p.context);
        float[] o = HeapActivation.of(out);
        for (int b = 0; b < batch; b++) {
            for (int t = 0; t < seq; t++) {
                long tok = (long) ids[b * seq + t] * p.dim, pos = (long) t * p.dim;
                int row = (b * seq + t) * p.dim;
                for (int i = 0; i < p.dim; i++)
                    o[row + i] = (float) ((double) p.tokens.get(tok + i) + p.positions.get(pos + i));
            }
        }
    }

    /** Written as the two products around a masked softmax, one head at a time. */
    @Override
    public void attention(Activation qkv, int batch, int seq, int heads, int headDim, boolean causal, Activation out) {
        float[] in = HeapActivation.of(qkv), o = HeapActivation.of(out);
        int width = heads * headDim, stride = 3 * width;
        double scale = 1 / Math.sqrt(headDim);
        for (int b = 0; b < batch; b++) {
            for (int h = 0; h < heads; h++) {
                int q0 = h * headDim, k0 = width + h * headDim, v0 = 2 * width + h * headDim;
                float[] scores = new float[seq * seq];
                for (int i = 0; i < seq; i++) { // S = Q K^T * scale + mask
                    for (int j = 0; j < seq; j++) {
                        if (causal && j > i) {
                            scores[i * seq + j] = Float.NEGATIVE_INFINITY;
                            continue;
                        }
                        double s = 0;
                        for (int d = 0; d < headDim; d++) {
                            s += (double) in[(b * seq + i) * stride + q0 + d] * in[(b * seq + j) * stride + k0 + d];
                        }
                        scores[i * seq + j] = (float) (s * scale);
                    }
                }
                for (int i = 0; i < seq; i++) softmaxRow(scores, i * seq, seq);
                for (int i = 0; i < seq; i++) { // O = P V
                    for (int d = 0; d < headDim; d++) {
                        double s = 0;
                        for (int j = 0; j < seq; j++)
                            s += (double) scores[i * seq + j] * in[(b * seq + j) * stride + v0 + d];
                        o[(b * seq + i) * width + h * headDim + d] = (float) s;
                    }
                }
            }
        }
    }

    @Override
    public void close() {}
}
