package sdclip.benchmarks;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import sdclip.engine.Activation;
import sdclip.engine.Backend;
import sdclip.engine.Backends;
import sdclip.engine.Device;
import sdclip.engine.Weights;

/**
 * The non-GEMM kernels of one SD 1.5 block at 77 tokens: layer norm, attention, QuickGELU, GELU;
 * and the full (non-causal) attention of one ViT-L/14 block over an image's 257 tokens.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(
        value = 1,
        jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class LayerBenchmark {
    private static final int SEQ = 77, WIDTH = 768, HEADS = 12, MLP = 3072;
    private static final int IMAGE_SEQ = 257, IMAGE_WIDTH = 1024, IMAGE_HEADS = 16;

    @Param({"1", "2"})
    public int threads;

    private Backend backend;
    private Backend.Norm norm;
    private Activation hidden, normed, qkv, attn, mlp, imageQkv, imageAttn;

    @Setup(Level.Trial)
    public void setUp() {
        SplittableRandom rnd = new SplittableRandom(7);
        backend = Backends.create(Device.cpu(), threads);
        float[] g = new float[WIDTH], b = new float[WIDTH];
        for (int i = 0; i < WIDTH; i++) {
            g[i] = 1 + (float) (rnd.nextDouble() - 0.5) * 0.1f;
            b[i] = (float) (rnd.nextDouble() - 0.5) * 0.1f;
        }
        norm = backend.prepareNorm(Weights.ofFloats(g), Weights.ofFloats(b), WIDTH, 1e-5f);
        hidden = fill(SEQ * WIDTH, rnd);
        normed = backend.allocate(SEQ * WIDTH);
        qkv = fill(SEQ * 3 * WIDTH, rnd);
        attn = backend.allocate(SEQ * WIDTH);
        mlp = fill(SEQ * MLP, rnd);
        imageQkv = fill(IMAGE_SEQ * 3 * IMAGE_WIDTH, rnd);
        imageAttn = backend.allocate(IMAGE_SEQ * IMAGE_WIDTH);
    }

    private Activation fill(int n, SplittableRandom rnd) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (rnd.nextDouble() - 0.5) * 2;
        Activation a = backend.allocate(n);
        backend.write(v, 0, a, 0, n);
        return a;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        backend.close();
    }

    @Benchmark
    public Activation layerNorm77x768() {
        backend.layerNorm(norm, hidden, SEQ, normed);
        return normed;
    }

    @Benchmark
    public Activation attention77x12x64() {
        backend.attention(qkv, 1, SEQ, HEADS, WIDTH / HEADS, true, attn);
        return attn;
    }

    @Benchmark
    public Activation attention257x16x64Full() {
        backend.attention(imageQkv, 1, IMAGE_SEQ, IMAGE_HEADS, IMAGE_WIDTH / IMAGE_HEADS, false, imageAttn);
        return imageAttn;
    }

    /** In place, so values drift towards the fixed points; timing does not depend on them. */
    @Benchmark
    public Activation quickGelu77x3072() {
        backend.quickGelu(mlp, SEQ * MLP);
        return mlp;
    }

    @Benchmark
    public Activation gelu77x3072() {
        backend.gelu(mlp, SEQ * MLP);
        return mlp;
    }
}
