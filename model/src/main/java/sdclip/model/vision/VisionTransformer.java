package sdclip.model.vision;

import java.util.ArrayList;
import java.util.List;
import sdclip.engine.Activation;
import sdclip.engine.Backend;
import sdclip.engine.Weights;
import sdclip.model.checkpoint.ClipVisionConfig;
import sdclip.model.checkpoint.HiddenAct;
import sdclip.model.checkpoint.TextTower;
import sdclip.model.checkpoint.VisionTower;

/**
 * The CLIP vision transformer on a {@link Backend}: the patch embedding as one GEMM over the
 * image's flattened patches, the class token first, position embeddings, pre-LN, pre-LN blocks
 * with non-causal attention, post-LN on the class token, and the visual projection.
 *
 * <p>The class token and positions go through the backend's embedding op: a two-row table
 * (class embedding, zeros) indexed by 0 for position 0 and 1 elsewhere gives
 * {@code class + pos[0]} and {@code pos[t]}, to which the patch rows (zero at position 0) are
 * added; so only existing backend ops are needed and the sums are the reference's.
 */
public final class VisionTransformer {

    /** What one forward pass must produce besides the pooled output and embeddings. */
    public record Request(boolean embeddings, boolean hiddenStates) {}

    /**
     * Outputs of one batch of {@code batch} images, row-major, absent ones null:
     * {@code embeddings [batch, T, D]} (before pre-LN), {@code hiddenStates[L+1]} each
     * {@code [batch, T, D]}, {@code pooled [batch, D]}, {@code imageEmbeds [batch, P]}.
     */
    public record Result(float[] embeddings, float[][] hiddenStates, float[] pooled, float[] imageEmbeds) {}

    private record Layer(Backend.Norm ln1, Backend.Linear qkv, Backend.Linear out, Backend.Norm ln2, Backend.Linear fc1, Backend.Linear fc2) {}

    private final Backend backend;
    private final ClipVisionConfig cfg;
    private final Backend.Linear patch;
    private final Backend.Embedding classAndPositions;
    private final Backend.Norm preNorm, postNorm;
    private final Layer[] layers;
    private final Backend.Linear projection;

    public VisionTransformer(Backend backend, VisionTower tower) {
        this.backend = backend;
        this.cfg = tower.config();
        int w = cfg.width(), m = cfg.mlpWidth();
        float eps = cfg.layerNormEps();
        this.patch = backend.prepareLinear(List.of(tower.weights(VisionTower.PATCH)), List.of(), cfg.patchValues());
        float[] table = new float[2 * w]; // row 0: the class embedding, row 1: zeros (patch positions)
        tower.tensor("vision_model.embeddings.class_embedding").copyTo(0, table, 0, w);
        this.classAndPositions = backend.prepareEmbedding(Weights.ofFloats(table),
                tower.weights("vision_model.embeddings.position_embedding.weight"), 2, cfg.positions(), w);
        this.preNorm = backend.prepareNorm(tower.weights("vision_model.pre_layrnorm.weight"), tower.weights("vision_model.pre_layrnorm.bias"), w, eps);
        this.layers = new Layer[cfg.layers()];
        for (int l = 0; l < layers.length; l++) {
            String p = VisionTower.layer(l);
            List<Weights> qkvW = new ArrayList<>(), qkvB = new ArrayList<>();
            for (String x : new String[] {"q", "k", "v"}) {
                qkvW.add(tower.weights(p + "self_attn." + x + "_proj.weight"));
                qkvB.add(tower.weights(p + "self_attn." + x + "_proj.bias"));
            }
            layers[l] = new Layer(
                    backend.prepareNorm(tower.weights(p + "layer_norm1.weight"), tower.weights(p + "layer_norm1.bias"), w, eps),
                    backend.prepareLinear(qkvW, qkvB, w),
                    backend.prepareLinear(tower.weights(p + "self_attn.out_proj.weight"), tower.weights(p + "self_attn.out_proj.bias"), w, w),
                    backend.prepareNorm(tower.weights(p + "layer_norm2.weight"), tower.weights(p + "layer_norm2.bias"), w, eps),
                    backend.prepareLinear(tower.weights(p + "mlp.fc1.weight"), tower.weights(p + "mlp.fc1.bias"), m, w),
                    backend.prepareLinear(tower.weights(p + "mlp.fc2.weight"), tower.weights(p + "mlp.fc2.bias"), w, m));
        }
        this.postNorm = backend.prepareNorm(tower.weights("vision_model.post_layernorm.weight"), tower.weights("vision_model.post_layernorm.bias"), w, eps);
        TextTower.Tensor proj = tower.tensors().get("visual_projection.weight");
        this.projection = proj == null ? null : prepareProjection(backend, proj, w);
    }

    /** HF orientation is already [P, W] rows; OpenAI's [W, P] is transposed once here. */
    private static Backend.Linear prepareProjection(Backend backend, TextTower.Tensor projection, int w) {
        if (!projection.transposed()) return backend.prepareLinear(List.of(projection.values()), List.of(), w);
        float[] rows = new float[Math.toIntExact(projection.elements())];
        projection.copyTo(0, rows, 0, rows.length);
        return backend.prepareLinear(List.of(Weights.ofFloats(rows)), List.of(), w);
    }

    public ClipVisionConfig config() { return cfg; }

    /**
     * Runs {@code batch} images of normalised pixels, {@code [batch, 3, S, S]} row-major
     * (channel, y, x) starting at {@code pixels[offset]}.
     */
    public Result forward(float[] pixels, int offset, int batch, Request req) {
        int s = cfg.imageSize();
        if (offset < 0 || pixels.length - offset < (long) batch * 3 * s * s) {
            throw new IllegalArgumentException("pixels hold fewer than " + batch + " images of [3, " + s + ", " + s + "]");
        }
        int t = cfg.positions(), w = cfg.width(), rows = batch * t;
        Activation x = backend.allocate(rows * w), h = backend.allocate(rows * w), attn = backend.allocate(rows * w);
        Activation qkv = backend.allocate(rows * 3 * w), mlp = backend.allocate(rows * cfg.mlpWidth());
        try {
            return run(pixels, offset, batch, req, x, h, attn, qkv, mlp);
        } finally {
            for (Activation a : new Activation[] {x, h, attn, qkv, mlp}) backend.release(a);
        }
    }

    private Result run(float[] pixels, int offset, int batch, Request req, Activation x, Activation h, Activation attn, Activation qkv, Activation mlp) {
        int t = cfg.positions(), w = cfg.width(), rows = batch * t;
        embed(pixels, offset, batch, x, h);
        float[] embeddings = req.embeddings() ? read(x, rows * w) : null;
        backend.layerNorm(preNorm, x, rows, x);
        float[][] hidden = req.hiddenStates() ? new float[layers.length + 1][] : null;
        if (hidden != null) hidden[0] = read(x, rows * w);
        for (int l = 0; l < layers.length; l++) {
            block(layers[l], x, h, qkv, attn, mlp, batch, t);
            if (hidden != null) hidden[l + 1] = read(x, rows * w);
        }
        Activation cls = backend.allocate(batch * w);
        try {
            for (int b = 0; b < batch; b++) backend.copy(x, b * t * w, cls, b * w, w);
            backend.layerNorm(postNorm, cls, batch, cls);
            float[] pooled = read(cls, batch * w);
            float[] embeds = projection == null ? null : project(cls, batch);
            return new Result(embeddings, hidden, pooled, embeds);
        } finally {
            backend.release(cls);
        }
    }

    /** {@code x = [class; patches W^T] + positions}, using {@code h} as the patch rows (zero at each class position). */
    private void embed(float[] pixels, int offset, int batch, Activation x, Activation h) {
        int t = cfg.positions(), w = cfg.width(), g = cfg.grid(), n = g * g, k = cfg.patchValues();
        float[] patches = patches(pixels, offset, batch);
        Activation in = backend.allocate(batch * n * k), out = backend.allocate(batch * n * w);
        try {
            backend.write(patches, 0, in, 0, patches.length);
            backend.linear(patch, in, batch * n, out);
            int[] ids = new int[batch * t];
            java.util.Arrays.fill(ids, 1);
            float[] zero = new float[w];
            for (int b = 0; b < batch; b++) {
                ids[b * t] = 0;
                backend.write(zero, 0, h, b * t * w, w);
                backend.copy(out, b * n * w, h, (b * t + 1) * w, n * w);
            }
            backend.embed(classAndPositions, ids, batch, t, x);
            backend.add(x, h, batch * t * w);
        } finally {
            backend.release(in);
            backend.release(out);
        }
    }

    /** Patch rows {@code [batch * g * g, 3 P P]}: patch index row * g + col, values (channel, ky, kx). */
    private float[] patches(float[] pixels, int offset, int batch) {
        int s = cfg.imageSize(), p = cfg.patchSize(), g = cfg.grid(), k = cfg.patchValues();
        float[] out = new float[batch * g * g * k];
        for (int b = 0; b < batch; b++) {
            int image = offset + b * 3 * s * s;
            for (int row = 0; row < g; row++) {
                for (int col = 0; col < g; col++) {
                    int dst = ((b * g + row) * g + col) * k;
                    for (int c = 0; c < 3; c++) {
                        for (int ky = 0; ky < p; ky++) {
                            System.arraycopy(pixels, image + (c * s + row * p + ky) * s + col * p, out, dst, p);
                            dst += p;
                        }
                    }
                }
            }
        }
        return out;
    }

    private void block(Layer l, Activation x, Activation h, Activation qkv, Activation attn, Activation mlp, int batch, int seq) {
        int rows = batch * seq, w = cfg.width();
        backend.layerNorm(l.ln1, x, rows, h);
        backend.linear(l.qkv, h, rows, qkv);
        backend.attention(qkv, batch, seq, cfg.heads(), cfg.headDim(), false, attn);
        backend.linear(l.out, attn, rows, h);
        backend.add(x, h, rows * w);
        backend.layerNorm(l.ln2, x, rows, h);
        backend.linear(l.fc1, h, rows, mlp);
        if (cfg.activation() == HiddenAct.GELU) backend.gelu(mlp, rows * cfg.mlpWidth());
        else backend.quickGelu(mlp, rows * cfg.mlpWidth());
        backend.linear(l.fc2, mlp, rows, h);
        backend.add(x, h, rows * w);
    }

    private float[] read(Activation a, int n) {
        float[] out = new float[n];
        backend.read(a, 0, out, 0, n);
        return out;
    }

    private float[] project(Activation pooled, int batch) {
        int p = cfg.projectionDim();
        Activation out = backend.allocate(batch * p);
        try {
            backend.linear(projection, pooled, batch, out);
            return read(out, batch * p);
        } finally {
            backend.release(out);
        }
    }
}
