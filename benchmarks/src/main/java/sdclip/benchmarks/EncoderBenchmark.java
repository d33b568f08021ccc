package sdclip.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
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
import sdclip.engine.DType;
import sdclip.model.EncodeRequest;
import sdclip.model.Encoding;
import sdclip.model.TextEncoder;
import sdclip.model.TextOutput;
import sdclip.model.synth.FormulaModel;

/**
 * One whole forward pass of the full-size SD 1.5-shaped formula model (conditioning output
 * only), for {@code -prof gc}: {@code gc.alloc.rate.norm} is the bytes one pass allocates, of
 * which {@code batch x 77 x 768 x 4} are the returned conditioning itself. The model is read
 * from {@code -Dsdclip.model=PATH}, else written to a temporary file for the trial.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(
        value = 1,
        jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class EncoderBenchmark {
    @Param({"8"})
    public int batch;

    @Param({"2"})
    public int threads;

    private Path temporary;
    private TextEncoder encoder;
    private List<int[]> rows;
    private final EncodeRequest conditioning = EncodeRequest.of(TextOutput.CONDITIONING);

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        String given = System.getProperty("sdclip.model");
        Path model;
        if (given != null) {
            model = Path.of(given);
        } else {
            temporary = Files.createTempFile("sdclip-formula-", ".safetensors");
            FormulaModel.write(temporary, DType.F32);
            model = temporary;
        }
        encoder = TextEncoder.open(model, TextEncoder.Options.defaults().withThreads(threads));
        rows = new ArrayList<>();
        for (int b = 0; b < batch; b++) {
            int[] ids = new int[FormulaModel.CONTEXT];
            Arrays.fill(ids, 49407); // end token, also the padding
            ids[0] = 49406;
            for (int t = 1; t < FormulaModel.CONTEXT - 1; t++) ids[t] = 320 + (b * 131 + t * 17) % 40000;
            rows.add(ids);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        encoder.close();
        if (temporary != null) Files.deleteIfExists(temporary);
    }

    @Benchmark
    public Encoding forward() {
        return encoder.encodeIds(rows, conditioning);
    }
}
