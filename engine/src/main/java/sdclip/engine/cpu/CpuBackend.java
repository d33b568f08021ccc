package sdclip.engine.cpu;

import java.lang.foreign.Arena;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import sdclip.engine.Activation;
import sdclip.engine.Weights;
import sdclip.engine.support.HeapActivation;
import sdclip.engine.support.HeapBackend;
import sdclip.engine.support.LinearShapes;
import sdclip.engine.support.PanelWeights;
import sdclip.engine.support.WorkerPool;

/**
 * The fast CPU backend: Vector API kernels on the platform's preferred species, scalar tails,
 * and a fixed {@link WorkerPool}. Linear weights are packed once into off-heap panels (see
 * {@link PackedLinear}); everything else reads the mapped weights in place.
 */
public final class CpuBackend extends HeapBackend {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    /** Elementwise work below this many values runs on the caller alone: a fork costs more. */
    private static final int MIN_CHUNK = 16 * 1024;
    /** Most weight panels per GEMM task (see {@link #linear}). */
    private static final int GROUP = Integer.getInteger("sdclip.gemm.group", 8);

    private final WorkerPool pool;
    private final int registers;
    private final Gemm.Scratch[] scratch;
    private final Arena arena = Arena.ofShared();
    /** The current linear's activations packed for the micro-kernel; guarded by {@code pool}. */
    private float[] packedRows = new float[0];

    /** A backend using every available processor. */
    public CpuBackend() {
        this(Runtime.getRuntime().availableProcessors());
    }

    public CpuBackend(int threads) {
        this(threads, Gemm.REGISTERS);
    }

    /** A backend whose GEMM kernels are shaped for {@code registers} vector registers (16 or 32), whatever the CPU has. */
    CpuBackend(int threads, int registers) {
        if (registers != 16 && registers != 32)
            throw new IllegalArgumentException("no kernels for " + registers + " registers");
        this.registers = registers;
        this.pool = new WorkerPool(threads);
        this.scratch = new Gemm.Scratch[threads];
        for (int i = 0; i < threads; i++) scratch[i] = new Gemm.Scratch();
    }

    @Override
    public String name() {
        return "cpu";
    }

    @Override
    public int threads() {
        return pool.threads();
    }

    /** Released activations by size, handed out again: forward passes repeat their shapes. */
    private final Map<Integer, ArrayDeque<HeapActivation>> free = new HashMap<>();

    private long freeFloats;
    /**
     * At most this many floats wait for reuse (24 MB: one batch-8 SD 1.5 forward's activations,
     * which are live during the pass anyway), so a small heap is never held hostage.
     */
    static final long MAX_FREE_FLOATS = 6L << 20;

    /** Floats of released activations waiting for reuse; never above {@link #MAX_FREE_FLOATS}. */
    long pooledFloats() {
        synchronized (free) {
            return freeFloats;
        }
    }

    @Override
    public Activation allocate(int size) {
        synchronized (free) {
            ArrayDeque<HeapActivation> q = free.get(size);
            if (q != null && !q.isEmpty()) {
                freeFloats -= size;
                return q.pop();
            }
        }
        return new HeapActivation(size);
    }

    @Override
    public void release(Activation a) {
        HeapActivation h = (HeapActivation) a;
        synchronized (free) {
            if (freeFloats + h.size() > MAX_FREE_FLOATS) return; // let the GC have it
            free.computeIfAbsent(h.size(), k -> new ArrayDeque<>()).push(h);
            freeFloats += h.size();
        }
    }

    @Override
    public Linear prepareLinear(List<Weights> weightRows, List<Weights> biasRows, int in) {
        PackedLinear l;
        synchronized (arena) {
            l = new PackedLinear(weightRows, biasRows, in, arena);
        }
        List<Weights> rows = List.copyOf(weightRows);
        pool.run(l.panels, (p, worker) -> {
            l.packPanel(p, rows, scratch[worker]);
        });
        PanelWeights.releaseMapped(rows);
        return l;
    }

    /**
     * The operands of the op in flight. Every op fills them and runs under the pool's lock, so
     * the task bodies below are constants rather than capturing lambdas: a steady-state forward
     * pass allocates nothing in the backend.
     */
    private static final class Op {
        float[] x, y, packed;
        int[] ids;
        int n, rows, cols, chunk, tasks, seq, heads, headDim;
        boolean causal;
        PackedLinear linear;
        HeapNorm norm;
        HeapEmbedding embedding;
        Range body;

        void clear() {
            x = y = null;
            ids = null;
            linear = null;
            norm = null;
            embedding = null;
            body = null;
        }
    }

    /** A body over {@code [from, to)} of the op's rows or elements. */
    private interface Range {
        void run(Op op, int from, int to);
    }

    private final Op op = new Op();
    private final WorkerPool.Task chunkTask =
            (t, w) -> op.body.run(op, Math.min(op.n, t * op.chunk), Math.min(op.n, (t + 1) * op.chunk));
    private final WorkerPool.Task packTask = (blk, w) -> Gemm.packBlock(op.x, op.rows, op.linear.in, op.packed, blk);
    private final WorkerPool.Task panelTask = this::panelRun;
    private final WorkerPool.Task embedTask = (row, w) ->
            embedRow(op.embedding, op.ids, row, op.seq, op.y, scratchOf(w).scores(op.embedding.dim));
    private final WorkerPool.Task attentionTask = (t, w) -> Attention.head(
            op.x, op.y, t / op.heads, t % op.heads, op.seq, op.heads, op.headDim, op.causal, scratchOf(w));

    /** Task {@code t} of {@code op.tasks}: its share of the linear's panels. */
    private void panelRun(int t, int worker) {
        int panels = op.linear.panels;
        Gemm.panels(
                op.linear,
                (int) ((long) t * panels / op.tasks),
                (int) ((long) (t + 1) * panels / op.tasks),
                op.packed,
                op.rows,
                op.y,
                scratchOf(worker),
                registers);
    }

    private Gemm.Scratch scratchOf(int worker) {
        return scratch[worker];
    }

    @Override
    public void linear(Linear w, Activation x, int rows, Activation y) {
        PackedLinear p = (PackedLinear) w;
        synchronized (pool) {
            int size = Gemm.packedSize(rows, p.in);
            if (packedRows.length < size) packedRows = new float[size];
            op.linear = p;
            op.x = HeapActivation.of(x);
            op.y = HeapActivation.of(y);
            op.packed = packedRows;
            op.rows = rows;
            pool.run(Gemm.blocks(rows), packTask);
            // Each task is a run of adjacent panels, at most GROUP, as many per thread as the
            // others: a task sweeps its panels once per K block, so the activations' K block
            // stays in L2 across them.
            int threads = pool.threads(), perThread = (p.panels + threads - 1) / threads;
            op.tasks = Math.min(p.panels, threads * ((perThread + GROUP - 1) / GROUP));
            pool.run(op.tasks, panelTask);
            op.clear();
        }
    }

    @Override
    public void layerNorm(Norm n, Activation x, int rows, Activation y) {
        HeapNorm p = (HeapNorm) n;
        synchronized (pool) {
            op.norm = p;
            forRows(HeapActivation.of(x), HeapActivation.of(y), rows, p.dim, (o, r0, r1) -> {
                for (int r = r0; r < r1; r++) layerNormRow(o.x, o.y, r * o.norm.dim, o.norm);
            });
        }
    }

    private static void layerNormRow(float[] x, float[] y, int off, HeapNorm p) {
        int d = p.dim, upper = S.loopBound(d), i;
        FloatVector acc = FloatVector.zero(S);
        for (i = 0; i < upper; i += L) acc = acc.add(FloatVector.fromArray(S, x, off + i));
        float sum = Activations.sumLanes(acc);
        for (; i < d; i++) sum += x[off + i];
        float mean = sum / d;
        // Two passes: the variance of centred values, no catastrophic cancellation.
        FloatVector m = FloatVector.broadcast(S, mean);
        acc = FloatVector.zero(S);
        for (i = 0; i < upper; i += L) {
            FloatVector c = FloatVector.fromArray(S, x, off + i).sub(m);
            acc = c.fma(c, acc);
        }
        float var = Activations.sumLanes(acc);
        for (; i < d; i++) var += (x[off + i] - mean) * (x[off + i] - mean);
        float inv = (float) (1 / Math.sqrt(var / d + p.eps));
        FloatVector vInv = FloatVector.broadcast(S, inv);
        for (i = 0; i < upper; i += L) {
            FloatVector c = FloatVector.fromArray(S, x, off + i).sub(m).mul(vInv);
            c.fma(FloatVector.fromArray(S, p.gamma, i), FloatVector.fromArray(S, p.beta, i))
                    .intoArray(y, off + i);
        }
        for (; i < d; i++) y[off + i] = (x[off + i] - mean) * inv * p.gamma[i] + p.beta[i];
    }

    @Override
    public void quickGelu(Activation x, int n) {
        forChunks(HeapActivation.of(x), null, n, (o, from, to) -> Activations.quickGelu(o.x, from, to));
    }

    @Override
    public void gelu(Activation x, int n) {
        forChunks(HeapActivation.of(x), null, n, (o, from, to) -> Activations.gelu(o.x, from, to));
    }

    @Override
    public void add(Activation acc, Activation x, int n) {
        forChunks(HeapActivation.of(acc), HeapActivation.of(x), n, (o, from, to) -> {
            float[] a = o.x, b = o.y;
            int i = from, upper = from + S.loopBound(to - from);
            for (; i < upper; i += L)
                FloatVector.fromArray(S, a, i)
                        .add(FloatVector.fromArray(S, b, i))
                        .intoArray(a, i);
            for (; i < to; i++) a[i] += b[i];
        });
    }

    @Override
    public void embed(Embedding e, int[] ids, int batch, int seq, Activation out) {
        HeapEmbedding p = (HeapEmbedding) e;
        LinearShapes.checkIds(ids, batch, seq, p.vocab, p.context);
        synchronized (pool) {
            op.embedding = p;
            op.ids = ids;
            op.seq = seq;
            op.y = HeapActivation.of(out);
            pool.run(batch * seq, embedTask);
            op.clear();
        }
    }

    private static void embedRow(HeapEmbedding p, int[] ids, int row, int seq, float[] o, float[] pos) {
        int d = p.dim;
        p.tokens.copyTo((long) ids[row] * d, o, row * d, d);
        p.positions.copyTo((long) (row % seq) * d, pos, 0, d);
        int i = 0, upper = S.loopBound(d);
        for (; i < upper; i += L)
            FloatVector.fromArray(S, o, row * d + i)
                    .add(FloatVector.fromArray(S, pos, i))
                    .intoArray(o, row * d + i);
        for (; i < d; i++) o[row * d + i] += pos[i];
    }

    @Override
    public void attention(Activation qkv, int batch, int seq, int heads, int headDim, boolean causal, Activation out) {
        synchronized (pool) {
            op.x = HeapActivation.of(qkv);
            op.y = HeapActivation.of(out);
            op.seq = seq;
            op.heads = heads;
            op.headDim = headDim;
            op.causal = causal;
            pool.run(batch * heads, attentionTask);
            op.clear();
        }
    }

    /** Runs {@code body} over {@code [0, n)}: one contiguous chunk per thread when it is worth it. */
    private void forChunks(float[] x, float[] y, int n, Range body) {
        int tasks = Math.min(pool.threads(), Math.max(1, n / MIN_CHUNK));
        synchronized (pool) {
            op.x = x;
            op.y = y;
            op.n = n;
            op.chunk = ((n + tasks - 1) / tasks + L - 1) / L * L;
            op.body = body;
            if (tasks == 1) body.run(op, 0, n);
            else pool.run(tasks, chunkTask);
            op.clear();
        }
    }

    /** Runs {@code body} over row ranges of {@code [0, rows)}, one per thread when it is worth it. */
    private void forRows(float[] x, float[] y, int rows, int cols, Range body) {
        int tasks = Math.min(Math.min(pool.threads(), rows), Math.max(1, (int) ((long) rows * cols / MIN_CHUNK)));
        synchronized (pool) {
            op.x = x;
            op.y = y;
            op.n = rows;
            op.cols = cols;
            op.chunk = (rows + Math.max(1, tasks) - 1) / Math.max(1, tasks);
            op.body = body;
            if (tasks <= 1) body.run(op, 0, rows);
            else pool.run(tasks, chunkTask);
            op.clear();
        }
    }

    @Override
    public void close() {
        pool.close();
        arena.close();
    }
}
