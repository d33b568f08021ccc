package sdclip.cli.option;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;

import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import sdclip.cli.UsageException;
import sdclip.engine.Backends;
import sdclip.engine.Device;
import sdclip.model.TextEncoder;

/**
 * Options every command that runs a text encoder shares, checked before any work: the text
 * tower's ({@code --tokenizer}, {@code --heads}) and how it runs ({@link RunOptions}).
 */
public final class ModelOptions {
    /** Why this JVM computes on the portable backend, and what would make it faster. */
    static final String PORTABLE_NOTE =
            "the Vector API module is not available (start java with --add-modules jdk.incubator.vector for speed)";
    /** What OpenCL needs from the java command line. */
    public static final String NATIVE_ACCESS_HINT =
            "OpenCL needs native access: start java with --enable-native-access=ALL-UNNAMED (./sdclip and java -jar sdclip.jar do)";

    @Spec(Spec.Target.MIXEE)
    CommandSpec command;

    @Option(
            names = "--tokenizer",
            paramLabel = "PATH",
            description =
                    "bpe_simple_vocab_16e6.txt.gz, a vocab.json, or a folder with vocab.json + merges.txt (default: the model's tokenizer/ folder, then $SDCLIP_TOKENIZER).")
    Path tokenizer;

    @Mixin
    HeadsOption heads;

    @Mixin
    RunOptions run;

    private boolean noted;

    public Path tokenizer() {
        return tokenizer;
    }

    public String backend() {
        return run.backend();
    }

    public int threads() {
        return run.threads();
    }

    public boolean quiet() {
        return run.quiet();
    }

    /** {@return {@code --backend}, {@code --threads} and {@code --quiet}, for the vision tower} */
    public RunOptions run() {
        return run;
    }

    /**
     * Opens {@code model} with these options, checked first: values that cannot mean anything
     * and a {@code --heads} list whose length differs from the model's encoder count are usage
     * errors, raised before the weights are read.
     */
    public TextEncoder open(Path model, Path projection) throws IOException {
        TextEncoder.Options options = options(projection);
        heads.checkCount(model);
        TextEncoder enc = TextEncoder.open(model, options);
        announce(enc, command.commandLine().getErr());
        return enc;
    }

    /** The library options, after the checks that need no model. */
    public TextEncoder.Options options(Path projection) {
        run.checkThreads();
        heads.checkValues();
        if (device(run.backend) instanceof Device.OpenClSelection) requireNativeAccess();
        if (run.backend.equals("cpu") && !Backends.vectorApiAvailable() && !noted) {
            noted = true;
            command.commandLine().getErr().println("sdclip: " + PORTABLE_NOTE + "; using the portable backend");
        }
        return TextEncoder.Options.defaults()
                .withTokenizer(tokenizer)
                .withHeads(heads.values())
                .withDevice(device(run.backend))
                .withThreads(run.cappedThreads(command.commandLine().getErr()))
                .withProjection(projection);
    }

    /** The device {@code --backend} names; any other name is a usage error. */
    public static Device device(String name) {
        try {
            return Device.parse(name);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--backend " + name + ": unknown backend (" + Backends.NAMES + ")");
        }
    }

    /** Refuses, in one line naming the flag, when OpenCL would make the JVM print a native-access warning. */
    public static void requireNativeAccess() {
        if (!Backends.openClNativeAccess()) throw new IllegalStateException(NATIVE_ACCESS_HINT);
    }

    /** Says on stderr which backend {@code --backend auto} chose, and why when it is the portable one. */
    public void announce(TextEncoder enc, PrintWriter err) {
        if (!run.backend.equals("auto")) return;
        String why = enc.backendName().equals("portable") && !Backends.vectorApiAvailable() ? "; " + PORTABLE_NOTE : "";
        err.println("sdclip: backend auto: " + enc.backendName() + why);
    }
}
