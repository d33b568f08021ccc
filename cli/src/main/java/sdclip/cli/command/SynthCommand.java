package sdclip.cli.command;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import sdclip.cli.UsageException;
import sdclip.cli.option.OptionChecks;
import sdclip.cli.output.OutputChecks;
import sdclip.cli.output.OutputFiles;
import sdclip.engine.DType;
import sdclip.model.synth.FormulaModel;

/**
 * {@code sdclip synth}: writes the full-size formula model, as safetensors (F32 or F16) or as GGUF
 * (F32, F16, or quantized as {@code convert --type} does it, {@link GgufConversion}), computed
 * tensor by tensor while the file is written.
 */
@Command(
        name = "synth",
        mixinStandardHelpOptions = true,
        description =
                "Write the full-size SD 1.5-shaped formula model (no download) as a Hugging Face CLIPTextModelWithProjection file (with --vision: a whole CLIPModel): .safetensors, or .gguf, optionally quantized.")
public final class SynthCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(
            names = "--output",
            required = true,
            paramLabel = "FILE",
            description = "The .safetensors or .gguf file to write (atomically).")
    Path output;

    @Option(
            names = "--dtype",
            defaultValue = "f32",
            description = "f32 (exact, 494 MB), f16 (247 MB; rounds the layer-norm weights), or for a .gguf output"
                    + " q8_0 (132 MB), q4_0 or q4_k (70 MB) (default: ${DEFAULT-VALUE}). In a .gguf file, as convert"
                    + " writes it, 1-D tensors stay F32 and rows that are not whole blocks fall back (Q4_0, F16).")
    FormulaDtype dtype;

    @Option(
            names = "--vision",
            description =
                    "Write a whole CLIP ViT-L/14 model instead: the text tower plus a vision tower (image 224, patch 14, width 1024, 16 heads, 24 layers, MLP 4096, projection 768); 1.7 GB in F32.")
    boolean vision;

    @Override
    public Integer call() throws Exception {
        OutputChecks.file(output, List.of(".safetensors", ".gguf"));
        boolean gguf = output.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".gguf");
        if (!gguf && dtype.type.quantized())
            throw new UsageException(OptionChecks.asTyped(spec, "--dtype") + " writes GGUF: name the output .gguf");
        if (gguf) {
            GgufConversion.formulaModel(dtype.type, vision)
                    .writeTo(output, spec.commandLine().getErr());
            return 0;
        }
        OutputFiles.checkSpace(output, bytes(dtype.type));
        // SafetensorsWriter's own temporary sits beside ours: Ctrl-C or SIGTERM mid-write leaves neither.
        OutputFiles.throughTemporary(output, tmp -> FormulaModel.write(tmp, dtype.type, vision));
        spec.commandLine().getErr().println("wrote " + output);
        return 0;
    }

    /** The values' bytes (the header aside). */
    private long bytes(DType type) {
        List<FormulaModel.Spec> specs = new ArrayList<>(FormulaModel.tensors());
        if (vision) specs.addAll(FormulaModel.visionTensors());
        long n = 0;
        for (FormulaModel.Spec s : specs) n += s.elements() * type.bytes();
        return n;
    }
}
