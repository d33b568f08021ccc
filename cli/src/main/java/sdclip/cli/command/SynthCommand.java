package sdclip.cli.command;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import sdclip.cli.output.OutputChecks;
import sdclip.cli.output.OutputFiles;
import sdclip.engine.DType;
import sdclip.model.synth.FormulaModel;

/** {@code sdclip synth}: writes the full-size formula model. */
@Command(
        name = "synth",
        mixinStandardHelpOptions = true,
        description =
                "Write the full-size SD 1.5-shaped formula model (no download) as a Hugging Face CLIPTextModelWithProjection file (with --vision: a whole CLIPModel).")
public final class SynthCommand implements Callable<Integer> {
    enum Dtype {
        f32,
        f16
    }

    @Spec
    CommandSpec spec;

    @Option(
            names = "--output",
            required = true,
            paramLabel = "FILE",
            description = "The .safetensors file to write (atomically).")
    Path output;

    @Option(
            names = "--dtype",
            defaultValue = "f32",
            description =
                    "f32 (exact, 494 MB) or f16 (247 MB; rounds the layer-norm weights) (default: ${DEFAULT-VALUE}).")
    Dtype dtype;

    @Option(
            names = "--vision",
            description =
                    "Write a whole CLIP ViT-L/14 model instead: the text tower plus a vision tower (image 224, patch 14, width 1024, 16 heads, 24 layers, MLP 4096, projection 768); 1.7 GB in F32.")
    boolean vision;

    @Override
    public Integer call() throws Exception {
        OutputChecks.file(output, List.of(".safetensors"));
        DType type = dtype == Dtype.f32 ? DType.F32 : DType.F16;
        OutputFiles.checkSpace(output, bytes(type));
        // SafetensorsWriter's own temporary sits beside ours: Ctrl-C or SIGTERM mid-write leaves neither.
        OutputFiles.throughTemporary(output, tmp -> FormulaModel.write(tmp, type, vision));
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
