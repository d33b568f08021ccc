package sdclip.engine.support;

import sdclip.engine.Activation;
import sdclip.engine.Backend;
import sdclip.engine.Weights;

/**
 * What the backends computing on Java arrays share: activations are {@link HeapActivation}s
 * moved with {@code System.arraycopy}, layer-norm parameters are widened to F32 arrays once,
 * and embedding tables are read in place. Subclasses add the compute ops (and may pool
 * activations by overriding {@link #allocate} and {@link #release}).
 */
public abstract class HeapBackend implements Backend {

    /** Layer-norm parameters widened to F32 once: {@code gamma} and {@code beta} of {@code dim} values. */
    public static final class HeapNorm implements Norm {
        public final float[] gamma, beta;
        public final int dim;
        public final float eps;

        HeapNorm(float[] gamma, float[] beta, int dim, float eps) {
            this.gamma = gamma;
            this.beta = beta;
            this.dim = dim;
            this.eps = eps;
        }

        @Override
        public int dim() {
            return dim;
        }
    }

    /** Token {@code [vocab, dim]} and position {@code [context, dim]} tables, read in place. */
    public static final class HeapEmbedding implements Embedding {
        public final Weights tokens, positions;
        public final int vocab, context, dim;

        HeapEmbedding(Weights tokens, Weights positions, int vocab, int context, int dim) {
            this.tokens = tokens;
            this.positions = positions;
            this.vocab = vocab;
            this.context = context;
            this.dim = dim;
        }

        @Override
        public int vocab() {
            return vocab;
        }

        @Override
        public int context() {
            return context;
        }

        @Override
        public int dim() {
            return dim;
        }
    }

    @Override
    public Activation allocate(int size) {
        return new HeapActivation(size);
    }

    @Override
    public void write(float[] src, int srcOff, Activation dst, int dstOff, int count) {
        System.arraycopy(src, srcOff, HeapActivation.of(dst), dstOff, count);
    }

    @Override
    public void read(Activation src, int srcOff, float[] dst, int dstOff, int count) {
        System.arraycopy(HeapActivation.of(src), srcOff, dst, dstOff, count);
    }

    @Override
    public void copy(Activation src, int srcOff, Activation dst, int dstOff, int count) {
        System.arraycopy(HeapActivation.of(src), srcOff, HeapActivation.of(dst), dstOff, count);
    }

    @Override
    public Norm prepareNorm(Weights gamma, Weights beta, int dim, float eps) {
        LinearShapes.requireSize("layer norm weight", gamma, dim);
        LinearShapes.requireSize("layer norm bias", beta, dim);
        float[] g = new float[dim], b = new float[dim];
        gamma.copyTo(0, g, 0, dim);
        beta.copyTo(0, b, 0, dim);
        return new HeapNorm(g, b, dim, eps);
    }

    @Override
    public Embedding prepareEmbedding(Weights tokens, Weights positions, int vocab, int context, int dim) {
        LinearShapes.requireSize("token embedding", tokens, (long) vocab * dim);
        LinearShapes.requireSize("position embedding", positions, (long) context * dim);
        return new HeapEmbedding(tokens, positions, vocab, context, dim);
    }
}
