package sdclip.cli;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;
import sdclip.engine.Activation;
import sdclip.engine.Backend;
import sdclip.engine.CpuBackend;
import sdclip.engine.DType;
import sdclip.engine.ReferenceBackend;
import sdclip.engine.Weights;

/** {@code sdclip bench}: how fast the engine runs here. */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Measure the engine: GFLOP/s of the SD 1.5 linear shapes (median of repeated runs).")
final class BenchCommand implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Option(names = "--threads", description = "Worker threads (default: available processors).")
    Integer threads;

    @Option(names = "--backend", defaultValue = "cpu", description = "cpu or reference (default: ${DEFAULT-VALUE}).")
    String backend;

    @Option(names = "--json", description = "Print one JSON line.")
    boolean json;

    @Option(names = "--seconds", defaultValue = "1.0", description = "Measuring time per workload (default: ${DEFAULT-VALUE}).")
    double seconds;

    /** The SD 1.5 text-encoder linears: rows x in -> out. */
    private static final int[][] SHAPES = {{77, 768, 768}, {77, 768, 2304}, {77, 768, 3072}, {77, 3072, 768}};

    record Result(int rows, int in, int out, DType dtype, double medianMs, double gflops) {}

    @Override
    public Integer call() {
        int n = threads == null ? Runtime.getRuntime().availableProcessors() : threads;
        if (n < 1) throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--threads must be at least 1");
        List<Result> results = new ArrayList<>();
        try (Backend b = switch (backend) {
            case "cpu" -> new CpuBackend(n);
            case "reference" -> new ReferenceBackend();
            default -> throw new picocli.CommandLine.ParameterException(spec.commandLine(), "unknown backend '" + backend + "' (cpu, reference)");
        }) {
            for (int[] s : SHAPES) {
                for (DType dtype : new DType[] {DType.F32, DType.F16}) results.add(measure(b, s[0], s[1], s[2], dtype));
            }
            print(results, b);
        }
        return 0;
    }

    private Result measure(Backend b, int rows, int in, int out, DType dtype) {
        SplittableRandom rnd = new SplittableRandom(rows * 31L + in * 7L + out);
        float[] w = new float[out * in], bias = new float[out], x = new float[rows * in];
        for (int i = 0; i < w.length; i++) w[i] = (float) (rnd.nextDouble() - 0.5) * 0.1f;
        for (int i = 0; i < x.length; i++) x[i] = (float) (rnd.nextDouble() - 0.5);
        Backend.Linear linear = b.prepareLinear(Weights.rounded(dtype, w), Weights.rounded(dtype, bias), out, in);
        Activation xa = b.allocate(x.length), ya = b.allocate(rows * out);
        b.write(x, 0, xa, 0, x.length);
        long budget = (long) (seconds * 1e9);
        for (long end = System.nanoTime() + budget / 2; System.nanoTime() < end; ) b.linear(linear, xa, rows, ya); // warm-up
        double[] times = new double[4096];
        int runs = 0;
        for (long end = System.nanoTime() + budget; runs < times.length && (runs < 3 || System.nanoTime() < end); runs++) {
            long t0 = System.nanoTime();
            b.linear(linear, xa, rows, ya);
            times[runs] = (System.nanoTime() - t0) / 1e6;
        }
        double median = median(Arrays.copyOf(times, runs));
        return new Result(rows, in, out, dtype, median, 2.0 * rows * in * out / (median * 1e6));
    }

    static double median(double[] values) {
        double[] v = values.clone();
        Arrays.sort(v);
        int m = v.length / 2;
        return v.length % 2 == 1 ? v[m] : (v[m - 1] + v[m]) / 2;
    }

    private void print(List<Result> results, Backend b) {
        var out = spec.commandLine().getOut();
        double linearGflops = results.stream().filter(r -> r.out == 3072 && r.dtype == DType.F32).findFirst().orElseThrow().gflops;
        if (json) {
            StringBuilder sb = new StringBuilder("{\"results\": [");
            for (int i = 0; i < results.size(); i++) {
                Result r = results.get(i);
                if (i > 0) sb.append(", ");
                sb.append(String.format(Locale.ROOT, "{\"op\": \"linear\", \"rows\": %d, \"in\": %d, \"out\": %d, \"dtype\": \"%s\", \"ms\": %.4f, \"gflops\": %.1f}",
                        r.rows, r.in, r.out, r.dtype, r.medianMs, r.gflops));
            }
            sb.append(String.format(Locale.ROOT, "], \"linear_gflops\": %.1f, \"threads\": %d, \"backend\": \"%s\"}", linearGflops, b.threads(), b.name()));
            out.println(sb);
        } else {
            out.printf(Locale.ROOT, "backend %s, %d thread(s), median of repeated runs%n", b.name(), b.threads());
            out.printf(Locale.ROOT, "%-22s %-5s %10s %10s%n", "linear", "dtype", "ms", "GFLOP/s");
            for (Result r : results) {
                out.printf(Locale.ROOT, "%-22s %-5s %10.3f %10.1f%n", r.rows + "x" + r.in + "->" + r.out, r.dtype, r.medianMs, r.gflops);
            }
        }
        out.flush();
    }
}
