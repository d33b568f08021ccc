package sdclip.model.transformer;

import java.util.List;

import sdclip.engine.Activation;
import sdclip.engine.Backend;
import sdclip.engine.Weights;
import sdclip.model.checkpoint.TextTower;

/** A tower's projection {@code [P, W]} as a bias-free linear, applied to the pooled rows. */
public final class Projection {

    private final Backend backend;
    private final Backend.Linear linear;
    private final int dim;

    private Projection(Backend backend, Backend.Linear linear, int dim) {
        this.backend = backend;
        this.linear = linear;
        this.dim = dim;
    }

    /**
     * Prepares {@code tensor} (HF orientation {@code [P, W]} as is; OpenAI's {@code [W, P]} is
     * transposed once here), or returns null when {@code tensor} is null.
     */
    public static Projection prepare(Backend backend, TextTower.Tensor tensor, int width) {
        if (tensor == null) return null;
        int dim = (int) tensor.shape()[0];
        if (!tensor.transposed())
            return new Projection(backend, backend.prepareLinear(List.of(tensor.values()), List.of(), width), dim);
        float[] rows = new float[Math.toIntExact(tensor.elements())];
        tensor.copyTo(0, rows, 0, rows.length);
        return new Projection(backend, backend.prepareLinear(List.of(Weights.ofFloats(rows)), List.of(), width), dim);
    }

    /** {@return the output size P} */
    public int dim() {
        return dim;
    }

    /** {@return {@code pooled @ projection^T}, {@code [batch, P]}, one linear over the whole batch} */
    public float[] apply(Activation pooled, int batch) {
        Activation out = backend.allocate(batch * dim);
        try {
            backend.linear(linear, pooled, batch, out);
            float[] values = new float[batch * dim];
            backend.read(out, 0, values, 0, values.length);
            return values;
        } finally {
            backend.release(out);
        }
    }
}
