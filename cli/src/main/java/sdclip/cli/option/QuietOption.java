package sdclip.cli.option;

import picocli.CommandLine.Option;

/** {@code --quiet}: no progress bar. */
public final class QuietOption {
    @Option(names = "--quiet", description = "No progress bar.")
    boolean quiet;

    public boolean quiet() {
        return quiet;
    }
}
