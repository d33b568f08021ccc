package sdclip.cli.command;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import sdclip.cli.option.ModelPaths;
import sdclip.cli.option.OptionChecks;
import sdclip.cli.output.JsonWriter;
import sdclip.model.checkpoint.Checkpoint;
import sdclip.model.checkpoint.TextTower;

/**
 * {@code sdclip diff}: did a fine-tune or merge touch its text encoder? Compares two text
 * encoders of any layouts tensor by tensor under canonical names, streaming in chunks.
 */
@Command(
        name = "diff",
        mixinStandardHelpOptions = true,
        description =
                "Compare two text encoders tensor by tensor: identical, identical up to f16 rounding, or different.")
public final class DiffCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "A", description = "The first checkpoint: " + ModelPaths.FORMS + ".")
    Path a;

    @Parameters(index = "1", paramLabel = "B", description = "The second checkpoint, in any form A takes.")
    Path b;

    @Option(names = "--encoder", paramLabel = "N", description = "Which text encoder of both A and B (default: 1).")
    Integer encoder;

    @Option(names = "--encoder-a", paramLabel = "N", description = "Which text encoder of A (default: --encoder).")
    Integer encoderA;

    @Option(names = "--encoder-b", paramLabel = "N", description = "Which text encoder of B (default: --encoder).")
    Integer encoderB;

    @Option(
            names = "--exit-code",
            description =
                    "Exit 1 when the encoders differ, 0 when identical or identical up to f16 rounding (as diff(1) does).")
    boolean exitCode;

    @Option(names = "--json", description = "Print {\"verdict\": ..., \"tensors\": [...]}.")
    boolean json;

    /** One tensor's comparison; {@code relative} is max|d| / max|A|. */
    record Row(String name, String status, double maxAbs, double relative, boolean identical, boolean withinF16) {}

    @Mixin
    ModelPaths modelPaths;

    @Override
    public Integer call() throws Exception {
        a = modelPaths.resolve(a);
        b = modelPaths.resolve(b);
        int both = encoder == null ? 1 : OptionChecks.encoder("--encoder", encoder);
        int ea = encoderA == null ? both : OptionChecks.encoder("--encoder-a", encoderA);
        int eb = encoderB == null ? both : OptionChecks.encoder("--encoder-b", encoderB);
        List<Row> rows = new ArrayList<>();
        try (Checkpoint ca = Checkpoint.open(a, null);
                Checkpoint cb = Checkpoint.open(b, null)) {
            OptionChecks.encoderExists(encoderA != null ? "--encoder-a" : "--encoder", ea, ca);
            OptionChecks.encoderExists(encoderB != null ? "--encoder-b" : "--encoder", eb, cb);
            TextTower ta = ca.encoder(ea), tb = cb.encoder(eb);
            for (var e : ta.tensors().entrySet()) {
                TextTower.Tensor other = tb.tensors().get(e.getKey());
                if (other == null) rows.add(new Row(e.getKey(), "only in A", Double.NaN, Double.NaN, false, false));
                else if (!Arrays.equals(e.getValue().shape(), other.shape()))
                    rows.add(new Row(
                            e.getKey(),
                            "shape " + Arrays.toString(e.getValue().shape()) + " vs " + Arrays.toString(other.shape()),
                            Double.NaN,
                            Double.NaN,
                            false,
                            false));
                else rows.add(compare(e.getValue(), other));
            }
            for (String name : tb.tensors().keySet())
                if (!ta.tensors().containsKey(name))
                    rows.add(new Row(name, "only in B", Double.NaN, Double.NaN, false, false));
        }
        List<Row> judged = rows.stream().filter(DiffCommand::counted).toList();
        String verdict = judged.stream().allMatch(Row::identical)
                ? "identical"
                : judged.stream().allMatch(Row::withinF16) ? "identical up to f16 rounding" : "different";
        print(rows, verdict);
        return exitCode && verdict.equals("different") ? 1 : 0;
    }

    /** A projection one side lacks (SD 1.x has none) is not a change to the encoder itself. */
    private static boolean counted(Row r) {
        return !(r.name.equals("text_projection.weight") && r.status.startsWith("only in"));
    }

    static Row compare(TextTower.Tensor x, TextTower.Tensor y) {
        long n = x.elements();
        float[] ca = new float[1 << 16], cb = new float[1 << 16];
        double maxAbs = 0, maxRef = 0;
        boolean identical = true, withinF16 = true;
        for (long from = 0; from < n; from += ca.length) {
            int count = (int) Math.min(ca.length, n - from);
            x.copyTo(from, ca, 0, count);
            y.copyTo(from, cb, 0, count);
            for (int i = 0; i < count; i++) {
                float p = ca[i], q = cb[i];
                if (Float.floatToIntBits(p) != Float.floatToIntBits(q)) identical = false;
                if (Float.floatToFloat16(p) != Float.floatToFloat16(q)) withinF16 = false;
                maxAbs = Math.max(maxAbs, Math.abs((double) p - q));
                maxRef = Math.max(maxRef, Math.abs(p));
            }
        }
        String status = identical ? "identical" : withinF16 ? "f16 rounding" : "changed";
        return new Row(
                x.name(), status, maxAbs, maxRef == 0 ? maxAbs : maxAbs / maxRef, identical, withinF16 || identical);
    }

    private void print(List<Row> rows, String verdict) {
        PrintWriter out = spec.commandLine().getOut();
        List<Row> changed = rows.stream()
                .filter(r -> counted(r) && !r.withinF16)
                .sorted(Comparator.comparingDouble((Row r) -> Double.isNaN(r.relative) ? Double.MAX_VALUE : r.relative)
                        .reversed())
                .toList();
        if (json) {
            StringBuilder sb = new StringBuilder("{\"verdict\": ")
                    .append(JsonWriter.string(verdict))
                    .append(", \"changed\": ")
                    .append(changed.size())
                    .append(", \"tensors\": [");
            for (int i = 0; i < rows.size(); i++) {
                Row r = rows.get(i);
                sb.append(i > 0 ? ", " : "")
                        .append("{\"name\": ")
                        .append(JsonWriter.string(r.name))
                        .append(", \"status\": ")
                        .append(JsonWriter.string(r.status))
                        .append(", \"max_abs_diff\": ")
                        .append(JsonWriter.number(r.maxAbs))
                        .append(", \"relative_error\": ")
                        .append(JsonWriter.number(r.relative))
                        .append(", \"identical\": ")
                        .append(r.identical)
                        .append(", \"within_f16_rounding\": ")
                        .append(r.withinF16)
                        .append('}');
            }
            out.println(sb.append("]}"));
        } else {
            out.println(verdict
                    + (changed.isEmpty() ? "" : ": " + changed.size() + " of " + rows.size() + " tensors changed"));
            rows.stream()
                    .filter(r -> !counted(r))
                    .forEach(r -> out.println("  (text_projection.weight " + r.status + "; not counted)"));
            for (Row r : changed.subList(0, Math.min(10, changed.size()))) {
                out.printf(
                        Locale.ROOT,
                        "  %-60s %s%s%n",
                        r.name,
                        r.status,
                        Double.isNaN(r.maxAbs)
                                ? ""
                                : String.format(Locale.ROOT, "  max|d| %.3g  relative %.3g", r.maxAbs, r.relative));
            }
        }
        out.flush();
    }
}
