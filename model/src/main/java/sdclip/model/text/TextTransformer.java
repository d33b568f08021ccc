package sdclip.model.text;

import java.util.ArrayList;
import java.util.List;
import sdclip.model.checkpoint.ClipTextConfig;
import sdclip.model.checkpoint.TextTower;
import sdclip.engine.Activation;
import sdclip.engine.Backend;
import sdclip.engine.Weights;
import sdclip.model.checkpoint.HiddenAct;

/**
 * The CLIP text transformer on a {@link Backend}: weights prepared once (q, k and v fused into
 * one linear), then pre-LN blocks {@code x += out(attn(ln1 x)); x += fc2(act(fc1(ln2 x)))}.
 * A forward pass computes only what its {@link Request} asks for; when only pooled outputs are
 * wanted it stops every row at the batch's last end token, since the causal mask makes later
 * positions irrelevant to them.
 */
public final class TextTransformer {

    /** What one forward pass must produce. */
    public record Request(boolean hiddenStates, boolean lastHiddenState, int conditioningLayer, boolean conditioningNormed, boolean pooled) {
        public boolean needsFullSequence() { return hiddenStates || lastHiddenState || conditioningLayer >= 0; }
    }

    /** Outputs of one batch; arrays are {@code [batch, 77, width]} row-major, absent ones null. */
    public record Result(float[][] hiddenStates, float[] lastHiddenState, float[] conditioning, float[] pooled, float[] textEmbeds) {}

    private record Layer(Backend.Norm ln1, Backend.Linear qkv, Backend.Linear out, Backend.Norm ln2, Backend.Linear fc1, Backend.Linear fc2) {}

    private final Backend backend;
    private final ClipTextConfig cfg;
    private final Backend.Embedding embedding;
    /** The position table, read again where {@link #forward(int[], int, int[], Request, float[][])} overrides token rows. */
    private final Weights positions;
    private final Layer[] layers;
    private final Backend.Norm finalNorm;
    /** The text projection as a bias-free linear, or null; {@link #projectionDim} is its output size. */
    private final Backend.Linear projection;
    private final int projectionDim;

    public TextTransformer(Backend backend, TextTower tower, TextTower.Tensor projection) {
        this.backend = backend;
        this.cfg = tower.config();
        int w = cfg.width(), m = cfg.mlpWidth();
        float eps = cfg.layerNormEps();
        this.positions = tower.weights("text_model.embeddings.position_embedding.weight");
        this.embedding = backend.prepareEmbedding(tower.weights("text_model.embeddings.token_embedding.weight"),
                positions, cfg.vocabSize(), cfg.contextLength(), w);
        this.layers = new Layer[cfg.layers()];
        for (int l = 0; l < layers.length; l++) {
            String p = TextTower.layer(l);
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
        this.finalNorm = backend.prepareNorm(tower.weights("text_model.final_layer_norm.weight"), tower.weights("text_model.final_layer_norm.bias"), w, eps);
        this.projection = projection == null ? null : prepareProjection(backend, projection, w);
        this.projectionDim = projection == null ? 0 : (int) projection.shape()[0];
    }

    /** HF orientation is already [P, W] rows; OpenAI's [W, P] is transposed once here. */
    private static Backend.Linear prepareProjection(Backend backend, TextTower.Tensor projection, int w) {
        if (!projection.transposed()) return backend.prepareLinear(List.of(projection.values()), List.of(), w);
        float[] rows = new float[Math.toIntExact(projection.elements())];
        projection.copyTo(0, rows, 0, rows.length);
        return backend.prepareLinear(List.of(Weights.ofFloats(rows)), List.of(), w);
    }

    public ClipTextConfig config() { return cfg; }

    /** Output size of the projection in use (the tower's own or a borrowed one), 0 without. */
    public int projectionDim() { return projectionDim; }

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
        Activation x = backend.allocate(rows * w), h = backend.allocate(rows * w), attn = backend.allocate(rows * w);
        Activation qkv = backend.allocate(rows * 3 * w), mlp = backend.allocate(rows * cfg.mlpWidth());
        try {
            backend.embed(embedding, rowIds, batch, seq, x);
            if (overrides != null) override(overrides, batch, seq, x);
            return run(batch, seq, pooledIndex, req, x, h, attn, qkv, mlp);
        } finally {
            for (Activation a : new Activation[] {x, h, attn, qkv, mlp}) backend.release(a);
        }
    }

    /** Writes {@code vector + position[t]} (one float32 add, as the backends' embed) over the overridden rows of {@code x}. */
    private void override(float[][] overrides, int batch, int seq, Activation x) {
        int context = cfg.contextLength(), w = cfg.width();
        if (overrides.length != batch * context) throw new IllegalArgumentException(overrides.length + " overrides for " + batch + " rows of " + context);
        float[] position = new float[w], row = new float[w];
        for (int b = 0; b < batch; b++) {
            for (int t = 0; t < seq; t++) {
                float[] vector = overrides[b * context + t];
                if (vector == null) continue;
                if (vector.length != w) throw new IllegalArgumentException("an embedding vector of " + vector.length + " values for width " + w);
                positions.copyTo((long) t * w, position, 0, w);
                for (int i = 0; i < w; i++) row[i] = vector[i] + position[i];
                backend.write(row, 0, x, (b * seq + t) * w, w);
            }
        }
    }

    private Result run(int batch, int seq, int[] pooledIndex, Request req,
                       Activation x, Activation h, Activation attn, Activation qkv, Activation mlp) {
        int rows = batch * seq, w = cfg.width();
        float[][] hidden = req.hiddenStates ? new float[cfg.layers() + 1][] : null;
        float[] conditioning = null;

        for (int l = 0; l <= layers.length; l++) {
            if (l > 0) block(layers[l - 1], x, h, qkv, attn, mlp, batch, seq);
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
                if (projection != null) embeds = project(rowsAt, batch);
            } finally {
                backend.release(rowsAt);
            }
        }
        return new Result(hidden, last, conditioning, pooled, embeds);
    }

    private void block(Layer l, Activation x, Activation h, Activation qkv, Activation attn, Activation mlp, int batch, int seq) {
        int rows = batch * seq, w = cfg.width();
        backend.layerNorm(l.ln1, x, rows, h);
        backend.linear(l.qkv, h, rows, qkv);
        backend.attention(qkv, batch, seq, cfg.heads(), cfg.headDim(), true, attn);
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

    /** {@code pooled @ projection^T}, one linear over the whole batch. */
    private float[] project(Activation pooled, int batch) {
        Activation out = backend.allocate(batch * projectionDim);
        try {
            backend.linear(projection, pooled, batch, out);
            return read(out, batch * projectionDim);
        } finally {
            backend.release(out);
        }
    }
}
