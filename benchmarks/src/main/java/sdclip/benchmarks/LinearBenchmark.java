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
import sdclip.engine.DType;
import sdclip.engine.Device;
import sdclip.engine.QuantizedWeights;
import sdclip.engine.Weights;

/**
 * The CPU linear on the SD 1.5 text-encoder shapes. GFLOP/s = 2 * rows * in * out / time:
 * for 77x768->3072, 0.3633 GFLOP per call, so GFLOP/s = 363.3 / (microseconds per call).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(
        value = 1,
        jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class LinearBenchmark {

    /** rows x in x out */
    @Param({"77x768x768", "77x768x2304", "77x768x3072", "77x3072x768"})
    public String shape;

    @Param({"F32", "F16", "Q8_0", "Q4_K"})
    public DType dtype;

    @Param({"1", "2"})
    public int threads;

    private Backend backend;
    private Backend.Linear linear;
    private Activation x, y;
    private int rows;

    @Setup(Level.Trial)
    public void setUp() {
        String[] p = shape.split("x");
        rows = Integer.parseInt(p[0]);
        int in = Integer.parseInt(p[1]), out = Integer.parseInt(p[2]);
        SplittableRandom rnd = new SplittableRandom(42);
        float[] w = new float[out * in], b = new float[out], xs = new float[rows * in];
        for (int i = 0; i < w.length; i++) w[i] = (float) (rnd.nextDouble() - 0.5) * 0.05f;
        for (int i = 0; i < xs.length; i++) xs[i] = (float) (rnd.nextDouble() - 0.5);
        backend = Backends.create(Device.cpu(), threads);
        // Quantized layers keep an F32 bias, as GGUF files store 1-D tensors.
        Weights weight = dtype.quantized() ? QuantizedWeights.quantize(dtype, w) : Weights.rounded(dtype, w);
        Weights bias = dtype.quantized() ? Weights.rounded(DType.F32, b) : Weights.rounded(dtype, b);
        linear = backend.prepareLinear(weight, bias, out, in);
        x = backend.allocate(xs.length);
        y = backend.allocate(rows * out);
        backend.write(xs, 0, x, 0, xs.length);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        backend.close();
    }

    @Benchmark
    public Activation linear() {
        backend.linear(linear, x, rows, y);
        return y;
    }
}
