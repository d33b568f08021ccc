package sdclip.model.text;

import java.util.Map;
import java.util.function.Function;

import sdclip.engine.Activation;
import sdclip.engine.Backend;
import sdclip.engine.Weights;
import sdclip.model.checkpoint.ClipTextConfig;
import sdclip.model.checkpoint.TextTower;
import sdclip.model.transformer.EncoderLayers;
import sdclip.model.transformer.Projection;

/**
 * The CLIP text transformer on a {@link Backend}: weights prepared once (q, k and v fused into
 * one linear), then pre-LN blocks {@code x += out(attn(ln1 x)); x += fc2(act(fc1(ln2 x)))}.
 * A forward pass computes only what its {@link Request} asks for; when only pooled outputs are
 * wanted it stops every row at the batch's last end token, since the causal mask makes later
 * positions irrelevant to them.
 */
public final class TextTransformer {

    /** What one forward pass must produce. */
    public record Request(
            boolean hiddenStates,
            boolean lastHiddenState,
            int conditioningLayer,
            boolean conditioningNormed,
            boolean pooled) {
        public boolean needsFullSequence() {
            return hiddenStates || lastHiddenState || conditioningLayer >= 0;
        }
    }

    /** Outputs of one batch; arrays are {@code [batch, 77, width]} row-major, absent ones null. */
    public record Result(
            float[][] hiddenStates,
            float[] lastHiddenState,
            float[] conditioning,
            float[] pooled,
            float[] textEmbeds) {}

    private final Backend backend;
    private final ClipTextConfig cfg;
    private final Backend.Embedding embedding;
    /** The position table, read again where {@link #forward(int[], int, int[], Request, float[][])} overrides token rows. */
    private final Weights positions;

    private final EncoderLayers layers;
    private final Backend.Norm finalNorm;
    /** The text projection, or null. */
    private final Projection projection;

    public TextTransformer(Backend backend, TextTower tower, TextTower.Tensor projection) {
        this(backend, tower, projection, Map.of());
    }

    /**
     * A transformer whose weights are the tower's but for {@code replaced} (canonical name to
     * values of the same shape, e.g. LoRA-merged copies), which take their place.
     */
    public TextTransformer(
            Backend backend, TextTower tower, TextTower.Tensor projection, Map<String, Weights> replaced) {
        this.backend = backend;
        this.cfg = tower.config();
        int w = cfg.width();
        float eps = cfg.layerNormEps();
        Function<String, Weights> weights = name -> {
            Weights merged = replaced.get(name);
            return merged != null ? merged : tower.weights(name);
        };
        this.positions = weights.apply("text_model.embeddings.position_embedding.weight");
        this.embedding = backend.prepareEmbedding(
                weights.apply("text_model.embeddings.token_embedding.weight"),
                positions,
                cfg.vocabSize(),
                cfg.contextLength(),
                w);
        this.layers = new EncoderLayers(backend, EncoderLayers.Shape.of(cfg), weights, TextTower::layer, true);
        this.finalNorm = backend.prepareNorm(
                weights.apply("text_model.final_layer_norm.weight"),
                weights.apply("text_model.final_layer_norm.bias"),
                w,
                eps);
        this.projection = Projection.prepare(backend, projection, w);
    }

    public ClipTextConfig config() {
        return cfg;
    }

    /** Output size of the projection in use (the tower's own or a borrowed one), 0 without. */
    public int projectionDim() {
        return projection == null ? 0 : projection.dim();
    }

    /**
     * Runs {@code batch} rows of {@code 77} ids. {@code pooledIndex[b]} is the position pooled
     * for row b (its first end token).
     */
    public Result forward(int[] ids, int batch, int[] pooledIndex, Request req) {
        return forward(ids, batch, pooledIndex, req, null);
    }

    /**
     * As {@link #forward(int[], int, int[], Request)}, with some token embeddings replaced:
     * where {@code overrides[b * 77 + t]} is not null (a vector of {@code width} floats, a textual
     * inversion vector), row {@code t} of row b starts as that vector plus position embedding
     * {@code t} instead of the token's embedding plus it. {@code overrides} may be null.
     */
    public Result forward(int[] ids, int batch, int[] pooledIndex, Request req, float[][] overrides) {
        int context = cfg.contextLength(), w = cfg.width();
        int seq = context;
        if (!req.needsFullSequence()) {
            seq = 1;
            for (int b = 0; b < batch; b++) seq = Math.max(seq, pooledIndex[b] + 1);
        }
        int[] rowIds = ids;
        if (seq < context) {
            rowIds = new int[batch * seq];
            for (int b = 0; b < batch; b++) System.arraycopy(ids, b * context, rowIds, b * seq, seq);
        }
        int rows = batch * seq;
        EncoderLayers.Buffers buffers = layers.allocate(rows);
        try {
            backend.embed(embedding, rowIds, batch, seq, buffers.x());
            if (overrides != null) override(overrides, batch, seq, buffers.x());
            return run(batch, seq, pooledIndex, req, buffers);
        } finally {
            layers.release(buffers);
        }
    }

    /** Writes {@code vector + position[t]} (one float32 add, as the backends' embed) over the overridden rows of {@code x}. */
    private void override(float[][] overrides, int batch, int seq, Activation x) {
        int context = cfg.contextLength(), w = cfg.width();
        if (overrides.length != batch * context)
            throw new IllegalArgumentException(overrides.length + " overrides for " + batch + " rows of " + context);
        float[] position = new float[w], row = new float[w];
        for (int b = 0; b < batch; b++) {
            for (int t = 0; t < seq; t++) {
                float[] vector = overrides[b * context + t];
                if (vector == null) continue;
                if (vector.length != w)
                    throw new IllegalArgumentException(
                            "an embedding vector of " + vector.length + " values for width " + w);
                positions.copyTo((long) t * w, position, 0, w);
                for (int i = 0; i < w; i++) row[i] = vector[i] + position[i];
                backend.write(row, 0, x, (b * seq + t) * w, w);
            }
        }
    }

    private Result run(int batch, int seq, int[] pooledIndex, Request req, EncoderLayers.Buffers buffers) {
        int rows = batch * seq, w = cfg.width();
        Activation x = buffers.x(), h = buffers.h();
        float[][] hidden = req.hiddenStates ? new float[cfg.layers() + 1][] : null;
        float[] conditioning = null;

        for (int l = 0; l <= layers.count(); l++) {
            if (l > 0) layers.block(l - 1, buffers, batch, seq);
            if (hidden != null) hidden[l] = read(x, rows * w);
            if (l == req.conditioningLayer) {
                if (req.conditioningNormed) {
                    backend.layerNorm(finalNorm, x, rows, h);
                    conditioning = read(h, rows * w);
                } else {
                    conditioning = read(x, rows * w);
                }
            }
        }
        float[] last = null, pooled = null, embeds = null;
        if (req.lastHiddenState) {
            backend.layerNorm(finalNorm, x, rows, h);
            last = read(h, rows * w);
        }
        if (req.pooled) {
            // The end-token rows, normed: h already holds them when the last hidden state was taken.
            Activation rowsAt = backend.allocate(batch * w);
            try {
                Activation from = last != null ? h : x;
                for (int b = 0; b < batch; b++) backend.copy(from, (b * seq + pooledIndex[b]) * w, rowsAt, b * w, w);
                if (last == null) backend.layerNorm(finalNorm, rowsAt, batch, rowsAt);
                pooled = read(rowsAt, batch * w);
                if (projection != null) embeds = projection.apply(rowsAt, batch);
            } finally {
                backend.release(rowsAt);
            }
        }
        return new Result(hidden, last, conditioning, pooled, embeds);
    }

    private float[] read(Activation a, int n) {
        float[] out = new float[n];
        backend.read(a, 0, out, 0, n);
        return out;
    }
}
