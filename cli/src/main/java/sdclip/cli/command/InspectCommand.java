package sdclip.cli.command;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import sdclip.cli.option.HeadsOption;
import sdclip.cli.option.ModelPaths;
import sdclip.cli.option.VisionHeadsOption;
import sdclip.cli.output.JsonWriter;
import sdclip.model.TextEncoder;
import sdclip.model.checkpoint.Checkpoint;
import sdclip.model.checkpoint.ClipTextConfig;
import sdclip.model.checkpoint.ClipVisionConfig;
import sdclip.model.checkpoint.TextTower;
import sdclip.model.checkpoint.VisionTower;
import sdclip.model.safetensors.TensorStore;

/** {@code sdclip inspect}: what a checkpoint holds, validated in full. */
@Command(
        name = "inspect",
        mixinStandardHelpOptions = true,
        description = "Recognise a checkpoint: family, layout, and each text encoder's shape, dtype and activation.")
public final class InspectCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "MODEL", description = "The checkpoint: " + ModelPaths.FORMS + ".")
    Path model;

    @Mixin
    HeadsOption heads;

    @Mixin
    VisionHeadsOption visionHeads;

    @Option(names = "--json", description = "Print one JSON object.")
    boolean json;

    @Mixin
    ModelPaths modelPaths;

    @Override
    public Integer call() throws Exception {
        model = modelPaths.resolve(model);
        heads.checkCount(model);
        try (Checkpoint c = Checkpoint.open(model, heads.values(), visionHeads.count())) {
            PrintWriter out = spec.commandLine().getOut();
            if (json) out.println(toJson(c));
            else print(c, out);
            out.flush();
        }
        return 0;
    }

    static String toJson(Checkpoint c) {
        StringBuilder sb = new StringBuilder("{\"path\": ")
                .append(JsonWriter.string(c.path().toString()))
                .append(", \"family\": ")
                .append(JsonWriter.string(c.family().id()))
                .append(", \"layout\": ")
                .append(JsonWriter.string(c.layout()))
                .append(", \"vision_tower\": ")
                .append(c.hasVisionTower())
                .append(", \"encoders\": [");
        for (int i = 0; i < c.encoders().size(); i++) {
            TextTower t = c.encoders().get(i);
            ClipTextConfig k = t.config();
            if (i > 0) sb.append(", ");
            sb.append("{\"name\": ")
                    .append(JsonWriter.string(t.label()))
                    .append(", \"prefix\": ")
                    .append(JsonWriter.string(t.prefix()))
                    .append(", \"naming\": ")
                    .append(JsonWriter.string(t.naming().id()))
                    .append(", \"dtype\": ")
                    .append(JsonWriter.string(t.dtype()))
                    .append(", \"width\": ")
                    .append(k.width())
                    .append(", \"heads\": ")
                    .append(k.heads())
                    .append(", \"layers\": ")
                    .append(k.layers())
                    .append(", \"mlp_width\": ")
                    .append(k.mlpWidth())
                    .append(", \"vocab_size\": ")
                    .append(k.vocabSize())
                    .append(", \"context_length\": ")
                    .append(k.contextLength())
                    .append(", \"activation\": ")
                    .append(JsonWriter.string(k.activation().id()))
                    .append(", \"layer_norm_eps\": ")
                    .append(JsonWriter.number(k.layerNormEps()))
                    .append(", \"projection_dim\": ")
                    .append(k.hasProjection() ? String.valueOf(k.projectionDim()) : "null")
                    .append(", \"parameters\": ")
                    .append(k.parameterCount())
                    .append(", \"pad_id\": ")
                    .append(t.padId())
                    .append(", \"conditioning\": ")
                    .append(JsonWriter.string(conditioning(t)))
                    .append('}');
        }
        sb.append("], \"vision\": ");
        VisionTower v = c.visionTower();
        if (v == null) sb.append("null");
        else vision(sb, v);
        Map<String, Integer> types = ggufTypes(c);
        if (types != null) {
            sb.append(", \"tensor_types\": {");
            int i = 0;
            for (var e : types.entrySet())
                sb.append(i++ > 0 ? ", " : "")
                        .append(JsonWriter.string(e.getKey()))
                        .append(": ")
                        .append(e.getValue());
            sb.append('}');
        }
        if (c.t5Tensors() > 0) {
            sb.append(", \"t5\": {\"prefix\": ")
                    .append(JsonWriter.string(Checkpoint.T5_PREFIX))
                    .append(", \"tensors\": ")
                    .append(c.t5Tensors())
                    .append(", \"parameters\": ")
                    .append(c.t5Parameters())
                    .append(", \"run\": false}");
        }
        return sb.append('}').toString();
    }

    private static void vision(StringBuilder sb, VisionTower v) {
        ClipVisionConfig k = v.config();
        sb.append("{\"prefix\": ")
                .append(JsonWriter.string(v.prefix()))
                .append(", \"naming\": ")
                .append(JsonWriter.string(v.naming().id()))
                .append(", \"dtype\": ")
                .append(JsonWriter.string(v.dtype()))
                .append(", \"image_size\": ")
                .append(k.imageSize())
                .append(", \"patch_size\": ")
                .append(k.patchSize())
                .append(", \"positions\": ")
                .append(k.positions())
                .append(", \"width\": ")
                .append(k.width())
                .append(", \"heads\": ")
                .append(k.heads())
                .append(", \"layers\": ")
                .append(k.layers())
                .append(", \"mlp_width\": ")
                .append(k.mlpWidth())
                .append(", \"activation\": ")
                .append(JsonWriter.string(k.activation().id()))
                .append(", \"layer_norm_eps\": ")
                .append(JsonWriter.number(k.layerNormEps()))
                .append(", \"projection_dim\": ")
                .append(k.hasProjection() ? String.valueOf(k.projectionDim()) : "null")
                .append(", \"parameters\": ")
                .append(k.parameterCount())
                .append('}');
    }

    /** How many tensors of a GGUF file each stored type holds (F16, Q8_0...); null for other formats. */
    static Map<String, Integer> ggufTypes(Checkpoint c) {
        if (!c.layout().endsWith("(gguf)")) return null;
        TensorStore s = c.store();
        Map<String, Integer> counts = new TreeMap<>();
        for (String n : s.names()) counts.merge(s.storedType(n), 1, Integer::sum);
        return counts;
    }

    /** The default conditioning, by the same clip-skip rule {@code encode} uses. */
    static String conditioning(TextTower t) {
        return TextEncoder.describeConditioning(t, 0);
    }

    private static void print(Checkpoint c, PrintWriter out) {
        out.println(c.path());
        out.printf(
                "  family   %s%n  layout   %s%n  vision   %s%n",
                c.family().id(), c.layout(), c.hasVisionTower() ? "yes" : "no");
        Map<String, Integer> types = ggufTypes(c);
        if (types != null) {
            StringBuilder line = new StringBuilder();
            types.forEach((t, n) -> line.append(line.isEmpty() ? "" : ", ")
                    .append(t)
                    .append(' ')
                    .append(n));
            out.printf("  tensors  %d in GGUF: %s%n", c.store().names().size(), line);
        }
        for (TextTower t : c.encoders()) {
            ClipTextConfig k = t.config();
            out.printf(
                    Locale.ROOT,
                    "  %s: prefix \"%s\", %s naming, %s%n",
                    t.label(),
                    t.prefix(),
                    t.naming().id(),
                    t.dtype());
            out.printf(
                    Locale.ROOT,
                    "    width %d, heads %d, layers %d, mlp %d, vocab %d, context %d, %s, projection %s, %,d parameters%n",
                    k.width(),
                    k.heads(),
                    k.layers(),
                    k.mlpWidth(),
                    k.vocabSize(),
                    k.contextLength(),
                    k.activation().id(),
                    k.hasProjection() ? String.valueOf(k.projectionDim()) : "none",
                    k.parameterCount());
            out.printf("    pad id %d, conditioning %s%n", t.padId(), conditioning(t));
        }
        VisionTower v = c.visionTower();
        if (v != null) {
            ClipVisionConfig k = v.config();
            out.printf(
                    Locale.ROOT,
                    "  vision tower: prefix \"%s\", %s naming, %s%n",
                    v.prefix(),
                    v.naming().id(),
                    v.dtype());
            out.printf(
                    Locale.ROOT,
                    "    image %d, patch %d (%d positions), width %d, heads %d, layers %d, mlp %d, %s, projection %s, %,d parameters%n",
                    k.imageSize(),
                    k.patchSize(),
                    k.positions(),
                    k.width(),
                    k.heads(),
                    k.layers(),
                    k.mlpWidth(),
                    k.activation().id(),
                    k.hasProjection() ? String.valueOf(k.projectionDim()) : "none",
                    k.parameterCount());
        }
        if (c.t5Tensors() > 0) {
            out.printf(
                    Locale.ROOT,
                    "  T5 encoder: prefix \"%s\", %d tensor(s), %,d parameters (listed, not run: sdclip runs the CLIP encoders only)%n",
                    Checkpoint.T5_PREFIX,
                    c.t5Tensors(),
                    c.t5Parameters());
        }
    }
}
