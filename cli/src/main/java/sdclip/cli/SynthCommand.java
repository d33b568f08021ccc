package sdclip.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;
import sdclip.engine.DType;
import sdclip.model.synth.FormulaModel;
import sdclip.model.safetensors.SafetensorsWriter;

/** {@code sdclip synth}: writes the full-size formula model. */
@Command(name = "synth", mixinStandardHelpOptions = true,
        description = "Write the full-size SD 1.5-shaped formula model (no download) as a Hugging Face CLIPTextModelWithProjection file.")
final class SynthCommand implements Callable<Integer> {
    enum Dtype { f32, f16 }

    @Spec CommandSpec spec;

    @Option(names = "--output", required = true, paramLabel = "FILE", description = "The .safetensors file to write (atomically).")
    Path output;

    @Option(names = "--dtype", defaultValue = "f32", description = "f32 (exact, 494 MB) or f16 (247 MB; rounds the layer-norm weights) (default: ${DEFAULT-VALUE}).")
    Dtype dtype;

    @Option(names = "--vision", description = "Write a whole CLIP ViT-L/14 model instead: the text tower plus a vision tower (image 224, patch 14, width 1024, 16 heads, 24 layers, MLP 4096, projection 768); 1.7 GB in F32.")
    boolean vision;

    @Override
    public Integer call() throws Exception {
        // Safetensors is the one format written: another extension would name the file falsely.
        if (!output.toString().toLowerCase(java.util.Locale.ROOT).endsWith(".safetensors")) {
            throw new UsageException("--output " + output + ": synth writes a .safetensors file only");
        }
        WriteErrors.checkWritable(output);
        // A registered temporary (SafetensorsWriter's own temporary sits beside it): Ctrl-C or
        // SIGTERM mid-write leaves nothing behind.
        Path tmp = TempFiles.newFileForNestedWriter(output);
        boolean done = false;
        try {
            FormulaModel.write(tmp, dtype == Dtype.f32 ? DType.F32 : DType.F16, vision);
            SafetensorsWriter.moveAtomically(tmp, output);
            TempFiles.forget(tmp);
            done = true;
        } catch (IOException e) {
            throw WriteErrors.cannotWrite(output, e);
        } finally {
            if (!done) TempFiles.delete(tmp);
        }
        spec.commandLine().getErr().println("wrote " + output);
        return 0;
    }
}
