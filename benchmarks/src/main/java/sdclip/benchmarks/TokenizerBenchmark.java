package sdclip.benchmarks;

import java.io.IOException;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import sdclip.model.tokenizer.ClipTokenizer;

/**
 * Tokenizer throughput on typical SD prompts (ops/s = prompts per second, word cache warm) and
 * the time for one 1 MB prompt. The vocabulary comes from {@code -Dsdclip.tokenizer=PATH},
 * else {@code $SDCLIP_TOKENIZER}, else {@code ../shared/reference/tokenizer}.
 */
@State(Scope.Benchmark)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(
        value = 1,
        jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class TokenizerBenchmark {
    private static final String[] PROMPTS = {
        "a photo of an astronaut riding a horse on mars",
        "masterpiece, best quality, (ultra-detailed:1.2), 1girl, solo, long hair, looking at viewer, smile, outdoors, cherry blossoms",
        "portrait of a wizard, digital art, trending on artstation, highly detailed, sharp focus, 8k, octane render",
        "A cozy café in Paris at dusk — warm light, rain on the windows, “bokeh”, 35mm film",
        "cyberpunk city street at night, neon signs, reflections, volumetric fog, by Syd Mead and Moebius",
        "a watercolor painting of Mount Fuji (富士山) with cherry trees, soft pastel colours",
        "lowres, bad anatomy, bad hands, text, error, missing fingers, extra digit, fewer digits, cropped, worst quality",
        "an oil painting of a cat wearing a tiny hat, 19th century style, museum lighting",
    };

    private ClipTokenizer tokenizer;
    private String megabyte;
    private int next;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        String path = System.getProperty(
                "sdclip.tokenizer",
                System.getenv().getOrDefault("SDCLIP_TOKENIZER", "../shared/reference/tokenizer/hf"));
        tokenizer = ClipTokenizer.load(Path.of(path));
        StringBuilder sb = new StringBuilder();
        SplittableRandom rnd = new SplittableRandom(1);
        while (sb.length() < 1_000_000)
            sb.append(PROMPTS[rnd.nextInt(PROMPTS.length)]).append(", ");
        megabyte = sb.toString();
    }

    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    public int[] typicalPrompt() {
        next = (next + 1) % PROMPTS.length;
        return tokenizer.encode(PROMPTS[next], ClipTokenizer.CONTEXT_LENGTH, 49407);
    }

    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    public int[] oneMegabytePrompt() {
        return tokenizer.encode(megabyte);
    }
}
