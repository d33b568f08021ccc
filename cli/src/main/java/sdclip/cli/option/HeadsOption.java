package sdclip.cli.option;

import java.io.IOException;
import java.nio.file.Path;

import picocli.CommandLine.Option;

/** {@code --heads N[,N]}: attention heads per text encoder, for the commands that read text encoders. */
public final class HeadsOption {
    @Option(
            names = "--heads",
            paramLabel = "N[,N]",
            split = ",",
            description =
                    "Attention heads per text encoder, one value per encoder (default: config.json, else width / 64).")
    int[] heads;

    /** The counts given, or null: the model's config.json, else width / 64. */
    public int[] values() {
        return heads;
    }

    /** Every count is positive; needs no model. */
    public void checkValues() {
        OptionChecks.headValues("--heads", heads);
    }

    /** One count per text encoder of {@code model}, read from its header only. */
    public void checkCount(Path model) throws IOException {
        OptionChecks.headCount("--heads", heads, model);
    }
}
