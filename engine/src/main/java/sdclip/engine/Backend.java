package sdclip.engine;

import java.util.List;

/**
 * The operations of a CLIP text transformer. Weights are prepared once (packed, uploaded)
 * and then used by every call; activations live in backend-owned {@link Activation}s, all
 * row-major F32. Implementations are thread-safe: concurrent calls are allowed (a backend
 * may serialise them internally).
 */
public interface Backend extends AutoCloseable {

    /** A prepared {@code y = x W^T + b} with {@code W} as {@code [out, in]}. */
    interface Linear {
        int in();
        int out();
    }

    /** Prepared layer-norm parameters. */
    interface Norm {
        int dim();
    }

    /** Prepared token and position embedding tables. */
    interface Embedding {
        int vocab();
        int context();
        int dim();
    }

    String name();

    /** Threads the backend computes with. */
    int threads();

    Activation allocate(int size);

    void write(float[] src, int srcOff, Activation dst, int dstOff, int count);

    void read(Activation src, int srcOff, float[] dst, int dstOff, int count);

    void copy(Activation src, int srcOff, Activation dst, int dstOff, int count);

    /** Frees an activation now (device memory); heap backends leave it to the garbage collector. */
    default void release(Activation a) {}

    /**
     * Prepares a linear layer whose weight is the given row blocks stacked in order (so q, k
     * and v can be fused into one matrix), each {@code [rows_i, in]}; bias blocks likewise, or
     * an empty list for no bias.
     */
    Linear prepareLinear(List<Weights> weightRows, List<Weights> biasRows, int in);

    default Linear prepareLinear(Weights weight, Weights bias, int out, int in) {
        if (weight.size() != (long) out * in) {
            throw new IllegalArgumentException("linear weight has " + weight.size() + " values, expected " + out + "x" + in);
        }
        return prepareLinear(List.of(weight), bias == null ? List.of() : List.of(bias), in);
    }

    Norm prepareNorm(Weights gamma, Weights beta, int dim, float eps);

    Embedding prepareEmbedding(Weights tokens, Weights positions, int vocab, int context, int dim);

    /** {@code y[rows, out] = x[rows, in] W^T + b}. */
    void linear(Linear w, Activation x, int rows, Activation y);

    /** Row-wise layer norm of {@code x[rows, dim]} into {@code y} (may be {@code x}). */
    void layerNorm(Norm n, Activation x, int rows, Activation y);

    /** In place: {@code x * sigmoid(1.702 x)} over the first {@code n} values. */
    void quickGelu(Activation x, int n);

    /** In place: {@code 0.5 x (1 + erf(x / sqrt 2))} over the first {@code n} values. */
    void gelu(Activation x, int n);

    /** {@code acc[i] += x[i]} for {@code i < n}. */
    void add(Activation acc, Activation x, int n);

    /**
     * {@code out[b, t] = tokens[ids[b * seq + t]] + positions[t]} for a batch of {@code batch}
     * rows of {@code seq} ids each ({@code seq <= context}).
     */
    void embed(Embedding e, int[] ids, int batch, int seq, Activation out);

    /**
     * Multi-head self-attention. {@code qkv} is {@code [batch * seq, 3 * width]} with each row
     * holding q, k and v (width = heads * headDim, any head dimension); writes
     * {@code out[batch * seq, width]}: per head {@code softmax(q k^T / sqrt(headDim) + mask) v},
     * where the mask hides later positions when {@code causal} (the text tower) and nothing
     * otherwise (the vision tower).
     */
    void attention(Activation qkv, int batch, int seq, int heads, int headDim, boolean causal, Activation out);

    @Override
    void close();
}
