package sdclip.model.transformer;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.IntFunction;

import sdclip.engine.Activation;
import sdclip.engine.Backend;
import sdclip.engine.Weights;
import sdclip.model.checkpoint.ClipTextConfig;
import sdclip.model.checkpoint.ClipVisionConfig;
import sdclip.model.checkpoint.HiddenAct;

/**
 * The pre-LN encoder blocks the CLIP text and vision towers share, prepared once on a
 * {@link Backend} (q, k and v fused into one linear): each block is
 * {@code x += out(attn(ln1 x)); x += fc2(act(fc1(ln2 x)))}. The towers keep what differs:
 * embeddings, the causal mask or none, pooling and projection.
 */
public final class EncoderLayers {

    /** The blocks' sizes, activation and norm epsilon, as both tower configs give them. */
    public record Shape(int layers, int width, int mlpWidth, int heads, HiddenAct activation, float layerNormEps) {
        public static Shape of(ClipTextConfig c) {
            return new Shape(c.layers(), c.width(), c.mlpWidth(), c.heads(), c.activation(), c.layerNormEps());
        }

        public static Shape of(ClipVisionConfig c) {
            return new Shape(c.layers(), c.width(), c.mlpWidth(), c.heads(), c.activation(), c.layerNormEps());
        }

        int headDim() {
            return width / heads;
        }
    }

    /**
     * The activations of one forward pass: {@code x} the residual stream, {@code h} and
     * {@code attn} scratch rows of {@code width}, {@code qkv} rows of {@code 3 width},
     * {@code mlp} rows of {@code mlpWidth}.
     */
    public record Buffers(Activation x, Activation h, Activation attn, Activation qkv, Activation mlp) {}

    private record Layer(
            Backend.Norm ln1,
            Backend.Linear qkv,
            Backend.Linear out,
            Backend.Norm ln2,
            Backend.Linear fc1,
            Backend.Linear fc2) {}

    private final Backend backend;
    private final Shape shape;
    private final boolean causal;
    private final Layer[] layers;

    /**
     * Prepares every block from HF-named tensors.
     *
     * @param weights the stored values of a canonical tensor, by its HF name
     * @param prefix  the canonical name prefix of layer l, e.g. {@code text_model.encoder.layers.<l>.}
     * @param causal  whether attention is masked to earlier positions (text) or not (vision)
     */
    public EncoderLayers(
            Backend backend,
            Shape shape,
            Function<String, Weights> weights,
            IntFunction<String> prefix,
            boolean causal) {
        this.backend = backend;
        this.shape = shape;
        this.causal = causal;
        this.layers = new Layer[shape.layers()];
        int w = shape.width(), m = shape.mlpWidth();
        float eps = shape.layerNormEps();
        for (int l = 0; l < layers.length; l++) {
            String p = prefix.apply(l);
            List<Weights> qkvW = new ArrayList<>(), qkvB = new ArrayList<>();
            for (String x : new String[] {"q", "k", "v"}) {
                qkvW.add(weights.apply(p + "self_attn." + x + "_proj.weight"));
                qkvB.add(weights.apply(p + "self_attn." + x + "_proj.bias"));
            }
            layers[l] = new Layer(
                    backend.prepareNorm(
                            weights.apply(p + "layer_norm1.weight"), weights.apply(p + "layer_norm1.bias"), w, eps),
                    backend.prepareLinear(qkvW, qkvB, w),
                    backend.prepareLinear(
                            weights.apply(p + "self_attn.out_proj.weight"),
                            weights.apply(p + "self_attn.out_proj.bias"),
                            w,
                            w),
                    backend.prepareNorm(
                            weights.apply(p + "layer_norm2.weight"), weights.apply(p + "layer_norm2.bias"), w, eps),
                    backend.prepareLinear(weights.apply(p + "mlp.fc1.weight"), weights.apply(p + "mlp.fc1.bias"), m, w),
                    backend.prepareLinear(
                            weights.apply(p + "mlp.fc2.weight"), weights.apply(p + "mlp.fc2.bias"), w, m));
        }
    }

    /** {@return the number of blocks} */
    public int count() {
        return layers.length;
    }

    /** {@return the buffers for a pass over {@code rows} rows}; give them back with {@link #release}. */
    public Buffers allocate(int rows) {
        int w = shape.width();
        Activation x = backend.allocate(rows * w), h = backend.allocate(rows * w), attn = backend.allocate(rows * w);
        Activation qkv = backend.allocate(rows * 3 * w), mlp = backend.allocate(rows * shape.mlpWidth());
        return new Buffers(x, h, attn, qkv, mlp);
    }

    /** Releases what {@link #allocate} took. */
    public void release(Buffers b) {
        for (Activation a : new Activation[] {b.x, b.h, b.attn, b.qkv, b.mlp}) backend.release(a);
    }

    /** Runs block {@code l} over {@code batch} sequences of {@code seq} rows in {@code b.x}. */
    public void block(int l, Buffers b, int batch, int seq) {
        Layer layer = layers[l];
        int rows = batch * seq, w = shape.width();
        backend.layerNorm(layer.ln1, b.x, rows, b.h);
        backend.linear(layer.qkv, b.h, rows, b.qkv);
        backend.attention(b.qkv, batch, seq, shape.heads(), shape.headDim(), causal, b.attn);
        backend.linear(layer.out, b.attn, rows, b.h);
        backend.add(b.x, b.h, rows * w);
        backend.layerNorm(layer.ln2, b.x, rows, b.h);
        backend.linear(layer.fc1, b.h, rows, b.mlp);
        if (shape.activation() == HiddenAct.GELU) backend.gelu(b.mlp, rows * shape.mlpWidth());
        else backend.quickGelu(b.mlp, rows * shape.mlpWidth());
        backend.linear(layer.fc2, b.mlp, rows, b.h);
        backend.add(b.x, b.h, rows * w);
    }
}
