package sdclip.cli.option;

import java.io.PrintWriter;

import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import sdclip.model.ImageEncoder;
import sdclip.model.image.Preprocess;

/** Options of the commands that run a vision tower. */
public final class VisionOptions {
    enum Pipeline {
        openai,
        hf
    }

    @Mixin
    VisionHeadsOption visionHeads;

    @Option(
            names = "--preprocess",
            defaultValue = "openai",
            paramLabel = "openai|hf",
            description =
                    "Image preprocessing to reproduce: OpenAI's _transform or Hugging Face's CLIPImageProcessor (default: ${DEFAULT-VALUE}).")
    Pipeline preprocess;

    @Option(
            names = "--exif-transpose",
            description =
                    "Turn JPEGs upright by their Exif orientation first, as Pillow's ImageOps.exif_transpose (default: ignored, as the references do).")
    boolean exifTranspose;

    /** 0 when not given: the library infers it. */
    public int visionHeads() {
        return visionHeads.count();
    }

    /** The library options; {@code err} takes the note when {@code --threads} is capped. */
    public ImageEncoder.Options options(RunOptions model, PrintWriter err) {
        model.checkThreads();
        return ImageEncoder.Options.defaults()
                .withVisionHeads(visionHeads.count())
                .withDevice(ModelOptions.device(model.backend))
                .withThreads(model.cappedThreads(err))
                .withPreprocess(preprocess == Pipeline.hf ? Preprocess.HF : Preprocess.OPENAI)
                .withExifTranspose(exifTranspose);
    }
}
