package sdclip.model.vision;

import java.util.Arrays;
import java.util.List;

import sdclip.engine.Activation;
import sdclip.engine.Backend;
import sdclip.engine.Weights;
import sdclip.model.checkpoint.ClipVisionConfig;
import sdclip.model.checkpoint.VisionTower;
import sdclip.model.transformer.EncoderLayers;
import sdclip.model.transformer.Projection;

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

    private final Backend backend;
    private final ClipVisionConfig cfg;
    private final Backend.Linear patch;
    private final Backend.Embedding classAndPositions;
    private final Backend.Norm preNorm, postNorm;
    private final EncoderLayers layers;
    private final Projection projection;

    public VisionTransformer(Backend backend, VisionTower tower) {
        this.backend = backend;
        this.cfg = tower.config();
        int w = cfg.width();
        float eps = cfg.layerNormEps();
        this.patch = backend.prepareLinear(List.of(tower.weights(VisionTower.PATCH)), List.of(), cfg.patchValues());
        float[] table = new float[2 * w]; // row 0: the class embedding, row 1: zeros (patch positions)
        tower.tensor("vision_model.embeddings.class_embedding").copyTo(0, table, 0, w);
        this.classAndPositions = backend.prepareEmbedding(
                Weights.ofFloats(table),
                tower.weights("vision_model.embeddings.position_embedding.weight"),
                2,
                cfg.positions(),
                w);
        this.preNorm = backend.prepareNorm(
                tower.weights("vision_model.pre_layrnorm.weight"),
                tower.weights("vision_model.pre_layrnorm.bias"),
                w,
                eps);
        this.layers =
                new EncoderLayers(backend, EncoderLayers.Shape.of(cfg), tower::weights, VisionTower::layer, false);
        this.postNorm = backend.prepareNorm(
                tower.weights("vision_model.post_layernorm.weight"),
                tower.weights("vision_model.post_layernorm.bias"),
                w,
                eps);
        this.projection = Projection.prepare(backend, tower.tensors().get("visual_projection.weight"), w);
    }

    public ClipVisionConfig config() {
        return cfg;
    }

    /**
     * Runs {@code batch} images of normalised pixels, {@code [batch, 3, S, S]} row-major
     * (channel, y, x) starting at {@code pixels[offset]}.
     */
    public Result forward(float[] pixels, int offset, int batch, Request req) {
        int s = cfg.imageSize();
        if (offset < 0 || pixels.length - offset < (long) batch * 3 * s * s) {
            throw new IllegalArgumentException(
                    "pixels hold fewer than " + batch + " images of [3, " + s + ", " + s + "]");
        }
        EncoderLayers.Buffers buffers = layers.allocate(batch * cfg.positions());
        try {
            return run(pixels, offset, batch, req, buffers);
        } finally {
            layers.release(buffers);
        }
    }

    private Result run(float[] pixels, int offset, int batch, Request req, EncoderLayers.Buffers buffers) {
        int t = cfg.positions(), w = cfg.width(), rows = batch * t;
        Activation x = buffers.x();
        embed(pixels, offset, batch, x, buffers.h());
        float[] embeddings = req.embeddings() ? read(x, rows * w) : null;
        backend.layerNorm(preNorm, x, rows, x);
        float[][] hidden = req.hiddenStates() ? new float[layers.count() + 1][] : null;
        if (hidden != null) hidden[0] = read(x, rows * w);
        for (int l = 0; l < layers.count(); l++) {
            layers.block(l, buffers, batch, t);
            if (hidden != null) hidden[l + 1] = read(x, rows * w);
        }
        Activation cls = backend.allocate(batch * w);
        try {
            for (int b = 0; b < batch; b++) backend.copy(x, b * t * w, cls, b * w, w);
            backend.layerNorm(postNorm, cls, batch, cls);
            float[] pooled = read(cls, batch * w);
            float[] embeds = projection == null ? null : projection.apply(cls, batch);
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
            Arrays.fill(ids, 1);
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

    private float[] read(Activation a, int n) {
        float[] out = new float[n];
        backend.read(a, 0, out, 0, n);
        return out;
    }
}
