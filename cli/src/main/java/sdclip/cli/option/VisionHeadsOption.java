package sdclip.cli.option;

import picocli.CommandLine.Option;

/** {@code --vision-heads N}: attention heads of the vision tower, checked while parsing. */
public final class VisionHeadsOption {
    /** 0 when not given: the library infers it. */
    private int count;

    @Option(
            names = "--vision-heads",
            paramLabel = "N",
            description =
                    "Attention heads of the vision tower (default: config.json, else width / 64; 16 for OpenCLIP ViT-H and bigG).")
    void set(int n) {
        count = OptionChecks.visionHeads(n);
    }

    /** The count given; 0 when not given: the library infers it. */
    public int count() {
        return count;
    }
}
