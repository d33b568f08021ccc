package sdclip.engine;

import java.util.List;

/**
 * The operations of a CLIP transformer (text and vision towers). Weights are prepared once (packed, uploaded)
 * and then used by every call; activations live in backend-owned {@link Activation}s, all
 * row-major F32. Implementations are thread-safe: concurrent calls are allowed (a backend
 * may serialise them internally).
 */
public interface Backend extends AutoCloseable {

    /** A prepared {@code y = x W^T + b} with {@code W} as {@code [out, in]}. */
    interface Linear {
        /** {@return the input width, the number of columns of {@code W}} */
        int in();

        /** {@return the output width, the number of rows of {@code W}} */
        int out();
    }

    /** Prepared layer-norm parameters. */
    interface Norm {
        /** {@return the normalised width} */
        int dim();
    }

    /** Prepared token and position embedding tables. */
    interface Embedding {
        /** {@return rows of the token table} */
        int vocab();

        /** {@return rows of the position table, the longest sequence} */
        int context();

        /** {@return the embedding width} */
        int dim();
    }

    /** {@return the backend's name as {@link Backends#create} takes it, e.g. {@code cpu}} */
    String name();

    /** {@return the number of threads the backend computes with} */
    int threads();

    /**
     * A new activation buffer, contents unspecified.
     *
     * @param size number of F32 values
     * @return a buffer owned by this backend
     */
    Activation allocate(int size);

    /**
     * Copies host values into an activation.
     *
     * @param src    host values
     * @param srcOff first value of {@code src} to copy
     * @param dst    destination, owned by this backend
     * @param dstOff first value of {@code dst} to write
     * @param count  number of values
     */
    void write(float[] src, int srcOff, Activation dst, int dstOff, int count);

    /**
     * Copies activation values to the host.
     *
     * @param src    source, owned by this backend
     * @param srcOff first value of {@code src} to read
     * @param dst    host destination
     * @param dstOff first value of {@code dst} to write
     * @param count  number of values
     */
    void read(Activation src, int srcOff, float[] dst, int dstOff, int count);

    /**
     * Copies values between two activations of this backend.
     *
     * @param src    source
     * @param srcOff first value of {@code src} to read
     * @param dst    destination (may be {@code src} when the ranges do not overlap)
     * @param dstOff first value of {@code dst} to write
     * @param count  number of values
     */
    void copy(Activation src, int srcOff, Activation dst, int dstOff, int count);

    /**
     * Frees an activation now (device memory) or keeps it for reuse; heap backends may leave
     * it to the garbage collector. The activation must not be used afterwards.
     *
     * @param a an activation of this backend
     */
    default void release(Activation a) {}

    /**
     * Prepares a linear layer whose weight is the given row blocks stacked in order (so q, k
     * and v can be fused into one matrix), each {@code [rows_i, in]}; bias blocks likewise, or
     * an empty list for no bias.
     *
     * @param weightRows row blocks of {@code W}, each a whole number of rows of {@code in} values
     * @param biasRows   bias blocks, as many values in all as {@code W} has rows, or empty
     * @param in         the input width
     * @return the prepared layer (packed or uploaded once)
     */
    Linear prepareLinear(List<Weights> weightRows, List<Weights> biasRows, int in);

    /**
     * Prepares a linear layer from one weight matrix.
     *
     * @param weight {@code W} as {@code [out, in]}
     * @param bias   {@code [out]}, or null for none
     * @param out    the output width
     * @param in     the input width
     * @return the prepared layer
     */
    default Linear prepareLinear(Weights weight, Weights bias, int out, int in) {
        if (weight.size() != (long) out * in) {
            throw new IllegalArgumentException(
                    "linear weight has " + weight.size() + " values, expected " + out + "x" + in);
        }
        return prepareLinear(List.of(weight), bias == null ? List.of() : List.of(bias), in);
    }

    /**
     * Prepares layer-norm parameters: {@code y = (x - mean) / sqrt(var + eps) * gamma + beta}.
     *
     * @param gamma the scale, {@code [dim]}
     * @param beta  the shift, {@code [dim]}
     * @param dim   the normalised width
     * @param eps   added to the variance
     * @return the prepared parameters
     */
    Norm prepareNorm(Weights gamma, Weights beta, int dim, float eps);

    /**
     * Prepares embedding tables, read in their stored dtype.
     *
     * @param tokens    {@code [vocab, dim]}
     * @param positions {@code [context, dim]}
     * @param vocab     rows of the token table
     * @param context   rows of the position table
     * @param dim       the width
     * @return the prepared tables
     */
    Embedding prepareEmbedding(Weights tokens, Weights positions, int vocab, int context, int dim);

    /**
     * {@code y[rows, out] = x[rows, in] W^T + b}.
     *
     * @param w    the layer
     * @param x    input, {@code [rows, in]}
     * @param rows number of rows
     * @param y    output, {@code [rows, out]}; not {@code x}
     */
    void linear(Linear w, Activation x, int rows, Activation y);

    /**
     * Row-wise layer norm of {@code x[rows, dim]} into {@code y}.
     *
     * @param n    the parameters
     * @param x    input, {@code [rows, dim]}
     * @param rows number of rows
     * @param y    output, {@code [rows, dim]}; may be {@code x}
     */
    void layerNorm(Norm n, Activation x, int rows, Activation y);

    /**
     * In place: {@code x * sigmoid(1.702 x)} (OpenAI's QuickGELU).
     *
     * @param x values
     * @param n how many, from the first
     */
    void quickGelu(Activation x, int n);

    /**
     * In place: {@code 0.5 x (1 + erf(x / sqrt 2))} (exact GELU).
     *
     * @param x values
     * @param n how many, from the first
     */
    void gelu(Activation x, int n);

    /**
     * {@code acc[i] += x[i]} for {@code i < n}.
     *
     * @param acc accumulated into
     * @param x   added
     * @param n   how many values
     */
    void add(Activation acc, Activation x, int n);

    /**
     * {@code out[b, t] = tokens[ids[b * seq + t]] + positions[t]} for a batch of {@code batch}
     * rows of {@code seq} ids each ({@code seq <= context}).
     *
     * @param e     the tables
     * @param ids   token ids, {@code [batch, seq]}, each below the vocabulary size
     * @param batch number of sequences
     * @param seq   ids per sequence
     * @param out   output, {@code [batch * seq, dim]}
     */
    void embed(Embedding e, int[] ids, int batch, int seq, Activation out);

    /**
     * Multi-head self-attention. {@code qkv} is {@code [batch * seq, 3 * width]} with each row
     * holding q, k and v (width = heads * headDim, any head dimension); writes
     * {@code out[batch * seq, width]}: per head {@code softmax(q k^T / sqrt(headDim) + mask) v},
     * where the mask hides later positions when {@code causal} (the text tower) and nothing
     * otherwise (the vision tower).
     *
     * @param qkv     input, {@code [batch * seq, 3 * heads * headDim]}
     * @param batch   number of sequences
     * @param seq     positions per sequence
     * @param heads   number of heads
     * @param headDim width of one head
     * @param causal  whether position i sees only positions up to i
     * @param out     output, {@code [batch * seq, heads * headDim]}
     */
    void attention(Activation qkv, int batch, int seq, int heads, int headDim, boolean causal, Activation out);

    /** Frees everything the backend holds (prepared weights, device buffers, threads); idempotent. */
    @Override
    void close();
}
