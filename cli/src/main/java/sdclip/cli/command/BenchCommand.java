package sdclip.cli.command;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import sdclip.cli.UsageException;
import sdclip.cli.option.ModelOptions;
import sdclip.cli.option.ModelPaths;
import sdclip.cli.option.OptionChecks;
import sdclip.cli.option.VisionHeadsOption;
import sdclip.cli.output.JsonWriter;
import sdclip.engine.Activation;
import sdclip.engine.Backend;
import sdclip.engine.Backends;
import sdclip.engine.DType;
import sdclip.engine.Device;
import sdclip.engine.Weights;
import sdclip.model.EncodeRequest;
import sdclip.model.ImageEncoder;
import sdclip.model.ImageRequest;
import sdclip.model.TextEncoder;
import sdclip.model.TextOutput;
import sdclip.model.checkpoint.ClipTextConfig;
import sdclip.model.checkpoint.ClipVisionConfig;
import sdclip.model.json.Json;
import sdclip.model.synth.FormulaModel;

/**
 * {@code sdclip bench}: the whole encoder on the four workloads of {@code shared/anchors}
 * (batch 1 and 8 at 77 tokens with full conditioning; batch 1 and 32 at 8 tokens on the
 * pooled-only path), median milliseconds per prompt after a warm-up.
 */
@Command(
        name = "bench",
        mixinStandardHelpOptions = true,
        description =
                "Measure the text encoder (or with --vision the vision tower): ms per prompt and GFLOP/s on four workloads (default model: the full-size SD 1.5-shaped formula model).")
public final class BenchCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(
            names = "--model",
            paramLabel = "PATH",
            description = "A checkpoint: " + ModelPaths.FORMS
                    + " (default: the formula model, built once into the cache folder).")
    Path model;

    @Option(
            names = "--dtype",
            defaultValue = "f32",
            description = "Storage of the formula model: f32, f16, or quantized q8_0, q4_0 or q4_k (a GGUF file, as"
                    + " synth writes it) (default: ${DEFAULT-VALUE}).")
    FormulaDtype dtype;

    @Mixin
    ModelOptions modelOptions;

    /** An hour per workload (two with its warm-up) is already more than any measurement needs. */
    static final double MAX_SECONDS = 3600;

    @Option(
            names = "--seconds",
            defaultValue = "3",
            paramLabel = "S",
            description =
                    "Measuring time per workload, after as long again of warm-up: more than 0, at most 3600 (default: ${DEFAULT-VALUE}).")
    String secondsText;

    /** {@code --seconds}, checked in {@link #call}. */
    private double seconds;

    @Option(names = "--json", description = "Print one JSON line.")
    boolean json;

    @Option(
            names = "--vision",
            description =
                    "Measure the vision tower instead: ms per image at batch 1 and 8 (default model: a full-size CLIP ViT-L/14 formula model).")
    boolean vision;

    @Mixin
    VisionHeadsOption visionHeads;

    record Workload(int batch, int tokens, boolean full) {}

    static final List<Workload> WORKLOADS = List.of(
            new Workload(1, 77, true),
            new Workload(8, 77, true),
            new Workload(1, 8, false),
            new Workload(32, 8, false));

    record Result(Workload w, double msPerPrompt, double gflops, int runs) {}

    @Mixin
    ModelPaths modelPaths;

    @Override
    public Integer call() throws Exception {
        seconds = OptionChecks.decimal("--seconds", secondsText);
        if (!(seconds > 0 && seconds <= MAX_SECONDS)) {
            throw new UsageException("--seconds " + secondsText + ": give a number of seconds above 0 and at most "
                    + (int) MAX_SECONDS + ", e.g. 3 or 0.5");
        }
        if (model != null && spec.commandLine().getParseResult().hasMatchedOption("--dtype"))
            throw new UsageException("--dtype picks the storage of the formula model, not of --model " + model
                    + " (measured as stored; `sdclip convert` writes it in another type)");
        model = modelPaths.resolve(model);
        if (vision) return benchVision();
        Path path = model != null
                ? model
                : formulaModel(dtype.type, spec.commandLine().getErr());
        TextEncoder.Options opts = modelOptions.options(null);
        long t0 = System.nanoTime();
        List<Result> results = new ArrayList<>();
        double firstMs, linearGflops;
        int usedThreads;
        String backendName;
        try (TextEncoder enc = TextEncoder.open(path, opts)) {
            modelOptions.announce(enc, spec.commandLine().getErr());
            ClipTextConfig cfg = enc.configs().getFirst();
            enc.encodeIds(rows(1, 77, cfg.contextLength()), EncodeRequest.of(TextOutput.CONDITIONING));
            firstMs = (System.nanoTime() - t0) / 1e6;
            for (Workload w : WORKLOADS) results.add(measure(enc, cfg, w));
            usedThreads = enc.threads();
            backendName = enc.backendName();
        }
        linearGflops = linearGflops();
        print(results, firstMs, linearGflops, usedThreads, backendName, path);
        return 0;
    }

    /** The formula model in the cache folder, written once. */
    static Path formulaModel(DType dtype, PrintWriter err) throws IOException {
        return formulaModel(dtype, false, err);
    }

    /** The text formula model, or with {@code vision} the CLIP ViT-L/14 one, in the cache folder, written once. */
    static Path formulaModel(DType dtype, boolean vision, PrintWriter err) throws IOException {
        String base = System.getenv("SDCLIP_CACHE");
        if (base == null || base.isBlank()) {
            String xdg = System.getenv("XDG_CACHE_HOME");
            base = (xdg == null || xdg.isBlank() ? System.getProperty("user.home") + "/.cache" : xdg) + "/sdclip";
        }
        Path file = Path.of(
                base,
                (vision ? "formula-clip-vitl14-" : "formula-sd15-")
                        + dtype.name().toLowerCase(Locale.ROOT)
                        + (dtype.quantized() ? ".gguf" : ".safetensors"));
        if (!Files.isRegularFile(file)) {
            err.println("sdclip: writing the full-size formula model to " + file + " (once)...");
            // both writers go through a temporary file beside it: a run stopped midway leaves no model
            if (dtype.quantized())
                GgufConversion.formulaModel(dtype, vision).writer().write(file);
            else FormulaModel.write(file, dtype, vision);
        }
        return file;
    }

    /** Rows of {@code tokens} ids: start, random vocabulary ids, end, then end-token padding to 77. */
    static List<int[]> rows(int batch, int tokens, int context) {
        SplittableRandom rnd = new SplittableRandom(batch * 100L + tokens);
        List<int[]> rows = new ArrayList<>();
        for (int b = 0; b < batch; b++) {
            int[] row = new int[context];
            Arrays.fill(row, 49407);
            row[0] = 49406;
            for (int t = 1; t < tokens - 1; t++) row[t] = 1 + rnd.nextInt(49404);
            rows.add(row);
        }
        return rows;
    }

    private Result measure(TextEncoder enc, ClipTextConfig cfg, Workload w) {
        List<int[]> rows = rows(w.batch, w.tokens, cfg.contextLength());
        EncodeRequest req = w.full ? EncodeRequest.of(TextOutput.CONDITIONING) : EncodeRequest.pooledOnly();
        long warm = System.nanoTime() + (long) (seconds * 1e9);
        while (System.nanoTime() < warm) enc.encodeIds(rows, req);
        List<Double> times = new ArrayList<>();
        long end = System.nanoTime() + (long) (seconds * 1e9);
        while (times.size() < 5 || (System.nanoTime() < end && times.size() < 10_000)) {
            long t = System.nanoTime();
            enc.encodeIds(rows, req);
            times.add((System.nanoTime() - t) / 1e6 / w.batch);
        }
        double ms = median(times);
        return new Result(w, ms, cfg.flops(w.tokens) / (ms * 1e6), times.size());
    }

    /** GFLOP/s of one 77x768 -> 3072 linear with F32 weights. */
    private double linearGflops() {
        try (Backend b = Backends.create(
                Device.parse(modelOptions.backend()),
                modelOptions.run().cappedThreads(spec.commandLine().getErr()))) {
            int rows = 77, in = 768, out = 3072;
            SplittableRandom rnd = new SplittableRandom(1);
            float[] w = new float[out * in], x = new float[rows * in];
            for (int i = 0; i < w.length; i++) w[i] = (float) (rnd.nextDouble() - 0.5) * 0.05f;
            for (int i = 0; i < x.length; i++) x[i] = (float) (rnd.nextDouble() - 0.5);
            Backend.Linear l = b.prepareLinear(Weights.ofFloats(w), Weights.ofFloats(new float[out]), out, in);
            Activation xa = b.allocate(x.length), ya = b.allocate(rows * out);
            try {
                b.write(x, 0, xa, 0, x.length);
                float[] last = new float[1];
                List<Double> times = new ArrayList<>();
                long end = System.nanoTime() + (long) (seconds * 1e9);
                while (times.size() < 5 || System.nanoTime() < end) {
                    long t = System.nanoTime();
                    b.linear(l, xa, rows, ya);
                    b.read(
                            ya,
                            rows * out - 1,
                            last,
                            0,
                            1); // a device backend only queues the linear: the read waits for it
                    times.add((System.nanoTime() - t) / 1e6);
                }
                return 2.0
                        * rows
                        * in
                        * out
                        / (median(times.subList(times.size() / 2, times.size())) * 1e6); // second half: warm
            } finally {
                b.release(xa);
                b.release(ya);
            }
        }
    }

    static double median(List<Double> values) {
        double[] v = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        int m = v.length / 2;
        return v.length % 2 == 1 ? v[m] : (v[m - 1] + v[m]) / 2;
    }

    /** The {@code --json} line. */
    static String json(
            List<Result> results, double firstMs, double linearGflops, int threads, String backendName, Path path) {
        StringBuilder sb = new StringBuilder("{\"results\": [");
        for (int i = 0; i < results.size(); i++) {
            Result r = results.get(i);
            sb.append(i > 0 ? ", " : "")
                    .append("{\"batch\": ")
                    .append(r.w.batch)
                    .append(", \"tokens\": ")
                    .append(r.w.tokens)
                    .append(", \"path\": \"")
                    .append(r.w.full ? "full" : "pooled")
                    .append('"')
                    .append(", \"ms_per_prompt\": ")
                    .append(JsonWriter.number(r.msPerPrompt, 3))
                    .append(", \"gflops\": ")
                    .append(JsonWriter.number(r.gflops, 1))
                    .append(", \"runs\": ")
                    .append(r.runs)
                    .append('}');
        }
        return sb.append("], \"linear_gflops\": ")
                .append(JsonWriter.number(linearGflops, 1))
                .append(", \"first_result_ms\": ")
                .append(JsonWriter.number(firstMs, 1))
                .append(", \"threads\": ")
                .append(threads)
                .append(", \"backend\": ")
                .append(JsonWriter.string(backendName))
                .append(", \"model\": ")
                .append(JsonWriter.string(path.toString()))
                .append('}')
                .toString();
    }

    private void print(
            List<Result> results, double firstMs, double linearGflops, int threads, String backendName, Path path) {
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(json(results, firstMs, linearGflops, threads, backendName, path));
        } else {
            out.printf(
                    Locale.ROOT,
                    "model %s%nbackend %s, %d thread(s); median ms per prompt after warm-up%n",
                    path,
                    backendName,
                    threads);
            out.printf(Locale.ROOT, "%-7s %-7s %-16s %12s %10s%n", "batch", "tokens", "path", "ms/prompt", "GFLOP/s");
            for (Result r : results) {
                out.printf(
                        Locale.ROOT,
                        "%-7d %-7d %-16s %12.2f %10.1f%n",
                        r.w.batch,
                        r.w.tokens,
                        r.w.full ? "conditioning" : "pooled only",
                        r.msPerPrompt,
                        r.gflops);
            }
            out.printf(
                    Locale.ROOT,
                    "first result %.0f ms after opening; linear 77x768->3072: %.1f GFLOP/s%n",
                    firstMs,
                    linearGflops);
        }
        out.flush();
    }

    /** {@code bench --vision}: the vision tower at batch 1 and 8 on deterministic pixels, median ms per image. */
    private int benchVision() throws Exception {
        Path path = model != null
                ? model
                : formulaModel(dtype.type, true, spec.commandLine().getErr());
        ImageEncoder.Options opts = ImageEncoder.Options.defaults()
                .withDevice(ModelOptions.device(modelOptions.backend()))
                .withThreads(modelOptions.run().cappedThreads(spec.commandLine().getErr()))
                .withVisionHeads(visionHeads.count());
        long t0 = System.nanoTime();
        List<double[]> results = new ArrayList<>(); // batch, ms per image, GFLOP/s, runs
        double firstMs;
        int threads;
        String backendName;
        try (ImageEncoder enc = ImageEncoder.open(path, opts)) {
            if (modelOptions.backend().equals("auto"))
                spec.commandLine().getErr().println("sdclip: backend auto: " + enc.backendName());
            ClipVisionConfig cfg = enc.config();
            enc.encode(pixels(1, cfg.imageSize()), ImageRequest.standard());
            firstMs = (System.nanoTime() - t0) / 1e6;
            for (int batch : new int[] {1, 8}) {
                float[] px = pixels(batch, cfg.imageSize());
                long warm = System.nanoTime() + (long) (seconds * 1e9);
                while (System.nanoTime() < warm) enc.encode(px, ImageRequest.standard());
                List<Double> times = new ArrayList<>();
                long end = System.nanoTime() + (long) (seconds * 1e9);
                while (times.size() < 3 || (System.nanoTime() < end && times.size() < 10_000)) {
                    long t = System.nanoTime();
                    enc.encode(px, ImageRequest.standard());
                    times.add((System.nanoTime() - t) / 1e6 / batch);
                }
                double ms = median(times);
                results.add(new double[] {batch, ms, cfg.flops() / (ms * 1e6), times.size()});
            }
            threads = enc.threads();
            backendName = enc.backendName();
        }
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            StringBuilder sb = new StringBuilder("{\"vision\": [");
            for (int i = 0; i < results.size(); i++) {
                double[] r = results.get(i);
                sb.append(i > 0 ? ", " : "")
                        .append(String.format(
                                Locale.ROOT,
                                "{\"batch\": %d, \"ms_per_image\": %.3f, \"gflops\": %.1f, \"runs\": %d}",
                                (int) r[0],
                                r[1],
                                r[2],
                                (int) r[3]));
            }
            out.println(sb.append(String.format(
                    Locale.ROOT,
                    "], \"first_result_ms\": %.1f, \"threads\": %d, \"backend\": \"%s\", \"model\": %s}",
                    firstMs,
                    threads,
                    backendName,
                    Json.quote(path.toString()))));
        } else {
            out.printf(
                    Locale.ROOT,
                    "model %s%nbackend %s, %d thread(s); median ms per image after warm-up%n",
                    path,
                    backendName,
                    threads);
            out.printf(Locale.ROOT, "%-7s %12s %10s%n", "batch", "ms/image", "GFLOP/s");
            for (double[] r : results) out.printf(Locale.ROOT, "%-7d %12.2f %10.1f%n", (int) r[0], r[1], r[2]);
            out.printf(Locale.ROOT, "first result %.0f ms after opening%n", firstMs);
        }
        out.flush();
        return 0;
    }

    /** {@code [batch, 3, size, size]} deterministic values in the range of normalised pixels. */
    private static float[] pixels(int batch, int size) {
        SplittableRandom rnd = new SplittableRandom(7);
        float[] px = new float[batch * 3 * size * size];
        for (int i = 0; i < px.length; i++) px[i] = (float) (rnd.nextDouble() * 4 - 2);
        return px;
    }
}
