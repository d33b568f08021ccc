package sdclip.engine.portable;

import java.lang.foreign.Arena;
import java.util.Arrays;
import java.util.List;

import sdclip.engine.Activation;
import sdclip.engine.Weights;
import sdclip.engine.support.HeapActivation;
import sdclip.engine.support.HeapBackend;
import sdclip.engine.support.LinearShapes;
import sdclip.engine.support.PanelWeights;
import sdclip.engine.support.ScalarMath;
import sdclip.engine.support.WorkerPool;

/**
 * The CPU backend for JVMs without the {@code jdk.incubator.vector} module: plain Java loops
 * written for C2's auto-vectorizer, on a fixed {@link WorkerPool}. Linear weights are packed
 * once into off-heap panels ({@link PackedPanels}, multiplied by {@link Gemm}); attention is
 * fused per head ({@link Attention}). Sums run in the Vector API backend's order, so linear,
 * attention and the activations agree with it bit for bit, and layer norm does too on 16-lane
 * (AVX-512) machines. Results never depend on JIT warm-up, batching or concurrent callers.
 */
public final class PortableBackend extends HeapBackend {
    /** Partial sums per layer-norm row: the Vector API backend's lane count on AVX-512. */
    private static final int LANES = 16;
    /** Elementwise work below this many values runs as one task: a fork costs more. */
    private static final int MIN_CHUNK = 16 * 1024;

    private final WorkerPool pool;
    private final Gemm.Scratch[] scratch;
    private final Arena arena = Arena.ofShared();

    /** A backend computing on {@code threads} threads (the caller's included). */
    public PortableBackend(int threads) {
        this.pool = new WorkerPool(threads);
        this.scratch = new Gemm.Scratch[threads];
        for (int i = 0; i < threads; i++) scratch[i] = new Gemm.Scratch();
    }

    @Override
    public String name() {
        return "portable";
    }

    @Override
    public int threads() {
        return pool.threads();
    }

    @Override
    public Linear prepareLinear(List<Weights> weightRows, List<Weights> biasRows, int in) {
        PackedPanels l;
        synchronized (arena) {
            l = new PackedPanels(weightRows, biasRows, in, arena);
        }
        List<Weights> rows = List.copyOf(weightRows);
        pool.run(l.panels, (p, w) -> l.packPanel(p, rows, scratch[w]));
        PanelWeights.releaseMapped(rows);
        return l;
    }

    /**
     * One task per (panel, run of rows): panels are wide (256 outputs), so a 768-output layer
     * has only three, and rows are split too until every thread has about two tasks. Each task
     * widens its panel's weights once per run, so runs stay at 8 rows or more.
     */
    @Override
    public void linear(Linear w, Activation x, int rows, Activation y) {
        PackedPanels p = (PackedPanels) w;
        float[] in = HeapActivation.of(x), out = HeapActivation.of(y);
        if (rows == 0) return;
        int runs = Math.max(1, Math.min((rows + 7) / 8, (2 * pool.threads() + p.panels - 1) / p.panels));
        int perRun = ((rows + runs - 1) / runs + 3) / 4 * 4, tasks = p.panels * ((rows + perRun - 1) / perRun);
        pool.run(tasks, (t, worker) -> {
            int r0 = t / p.panels * perRun;
            Gemm.panel(p, t % p.panels, r0, Math.min(rows, r0 + perRun), in, out, scratch[worker]);
        });
    }

    @Override
    public void layerNorm(Norm n, Activation x, int rows, Activation y) {
        HeapNorm p = (HeapNorm) n;
        float[] in = HeapActivation.of(x), out = HeapActivation.of(y);
        int tasks = Math.min(Math.min(pool.threads(), rows), Math.max(1, (int) ((long) rows * p.dim / MIN_CHUNK)));
        pool.run(tasks, (t, worker) -> {
            for (int r = rows * t / tasks; r < rows * (t + 1) / tasks; r++)
                layerNormRow(in, out, r * p.dim, p, scratch[worker].sums(LANES));
        });
    }

    /**
     * Two passes (mean, then the variance of centred values: no cancellation), each summed in
     * {@link #LANES} partial sums added in lane order, then the tail, as the Vector API backend
     * does with 16-lane vectors.
     */
    private static void layerNormRow(float[] x, float[] y, int off, HeapNorm p, float[] acc) {
        int d = p.dim, upper = d / LANES * LANES;
        Arrays.fill(acc, 0, LANES, 0f);
        for (int i = 0; i < upper; i += LANES) {
            for (int j = 0; j < LANES; j++) acc[j] += x[off + i + j];
        }
        float sum = 0;
        for (int j = 0; j < LANES; j++) sum += acc[j];
        for (int i = upper; i < d; i++) sum += x[off + i];
        float mean = sum / d;
        Arrays.fill(acc, 0, LANES, 0f);
        for (int i = 0; i < upper; i += LANES) {
            for (int j = 0; j < LANES; j++) {
                float c = x[off + i + j] - mean;
                acc[j] = Math.fma(c, c, acc[j]);
            }
        }
        float var = 0;
        for (int j = 0; j < LANES; j++) var += acc[j];
        for (int i = upper; i < d; i++) var += (x[off + i] - mean) * (x[off + i] - mean);
        float inv = (float) (1 / Math.sqrt(var / d + p.eps));
        for (int i = 0; i < upper; i++) y[off + i] = Math.fma((x[off + i] - mean) * inv, p.gamma[i], p.beta[i]);
        for (int i = upper; i < d; i++) y[off + i] = (x[off + i] - mean) * inv * p.gamma[i] + p.beta[i];
    }

    @Override
    public void quickGelu(Activation x, int n) {
        float[] a = HeapActivation.of(x);
        forChunks(n, (from, to) -> ScalarMath.quickGelu(a, from, to));
    }

    @Override
    public void gelu(Activation x, int n) {
        float[] a = HeapActivation.of(x);
        forChunks(n, (from, to) -> ScalarMath.gelu(a, from, to));
    }

    @Override
    public void add(Activation acc, Activation x, int n) {
        float[] a = HeapActivation.of(acc), b = HeapActivation.of(x);
        forChunks(n, (from, to) -> {
            for (int i = from; i < to; i++) a[i] += b[i];
        });
    }

    @Override
    public void embed(Embedding e, int[] ids, int batch, int seq, Activation out) {
        HeapEmbedding p = (HeapEmbedding) e;
        LinearShapes.checkIds(ids, batch, seq, p.vocab, p.context);
        float[] o = HeapActivation.of(out);
        int d = p.dim;
        pool.run(batch * seq, (row, worker) -> {
            float[] pos = scratch[worker].scores(d);
            p.tokens.copyTo((long) ids[row] * d, o, row * d, d);
            p.positions.copyTo((long) (row % seq) * d, pos, 0, d);
            for (int i = 0; i < d; i++) o[row * d + i] += pos[i];
        });
    }

    @Override
    public void attention(Activation qkv, int batch, int seq, int heads, int headDim, boolean causal, Activation out) {
        float[] in = HeapActivation.of(qkv), o = HeapActivation.of(out);
        pool.run(
                batch * heads,
                (t, worker) ->
                        Attention.head(in, o, t / heads, t % heads, seq, heads, headDim, causal, scratch[worker]));
    }

    private interface Range {
        void run(int from, int to);
    }

    /** Runs {@code body} over {@code [0, n)} in one contiguous chunk per thread when it is worth it. */
    private void forChunks(int n, Range body) {
        int tasks = Math.min(pool.threads(), Math.max(1, n / MIN_CHUNK));
        int chunk = ((n + tasks - 1) / tasks + LANES - 1) / LANES * LANES;
        pool.run(tasks, (t, worker) -> body.run(Math.min(n, t * chunk), Math.min(n, (t + 1) * chunk)));
    }

    @Override
    public void close() {
        pool.close();
        arena.close();
    }
}
