package sdclip.cli;

import picocli.CommandLine.Option;
import sdclip.model.ImageEncoder;
import sdclip.model.image.Preprocess;

/** Options of the commands that run a vision tower. */
final class VisionOptions {
    enum Pipeline { openai, hf }

    @Option(names = "--vision-heads", paramLabel = "N", description = "Attention heads of the vision tower (default: config.json, else width / 64; 16 for OpenCLIP ViT-H and bigG).")
    int visionHeads;

    @Option(names = "--preprocess", defaultValue = "openai", paramLabel = "openai|hf", description = "Image preprocessing to reproduce: OpenAI's _transform or Hugging Face's CLIPImageProcessor (default: ${DEFAULT-VALUE}).")
    Pipeline preprocess;

    ImageEncoder.Options options(ModelOptions model) {
        if (visionHeads < 0) throw new IllegalArgumentException("--vision-heads must be positive, got " + visionHeads);
        if (model.threads < 0) throw new IllegalArgumentException("--threads must be positive");
        return ImageEncoder.Options.defaults().withVisionHeads(visionHeads).withBackend(model.backend).withThreads(model.threads)
                .withPreprocess(preprocess == Pipeline.hf ? Preprocess.HF : Preprocess.OPENAI);
    }
}
