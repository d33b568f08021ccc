package sdclip.cli.option;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.logging.Level;
import java.util.logging.Logger;

import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import sdclip.cli.UsageException;
import sdclip.engine.Backends;
import sdclip.engine.Device;
import sdclip.model.TextEncoder;

/** Options every command that runs a model shares, checked before any work. */
public final class ModelOptions {
    /** Why this JVM computes on the portable backend, and what would make it faster. */
    static final String PORTABLE_NOTE =
            "the Vector API module is not available (start java with --add-modules jdk.incubator.vector for speed)";
    /** What OpenCL needs from the java command line. */
    public static final String NATIVE_ACCESS_HINT =
            "OpenCL needs native access: start java with --enable-native-access=ALL-UNNAMED (./sdclip and java -jar sdclip.jar do)";

    /**
     * The engine logs its backend choices at INFO through java.util.logging, whose default
     * console output is two lines with a timestamp; the CLI says the same in one line itself.
     * Held here so the configured logger is not collected.
     */
    private static final Logger ENGINE_LOG = Logger.getLogger("sdclip.engine");

    static {
        ENGINE_LOG.setLevel(Level.WARNING);
    }

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

    @Option(
            names = "--backend",
            defaultValue = "cpu",
            paramLabel = "NAME",
            description =
                    "cpu (Vector API; portable when java runs without jdk.incubator.vector), portable (plain Java, any JVM, slower), reference (scalar, slow), opencl (first GPU, else first device), opencl:P:D, or auto (an OpenCL GPU if any, else cpu) (default: ${DEFAULT-VALUE}).")
    String backend;

    @Option(
            names = "--threads",
            paramLabel = "N",
            description = "CPU worker threads; 0 (the default) for every processor, more than there are is capped.")
    int threads;

    @Mixin
    QuietOption quiet;

    private boolean capNoted, noted;

    public Path tokenizer() {
        return tokenizer;
    }

    /**
     * Refuses the text-tower options ({@code --heads}, {@code --tokenizer}) where a command runs
     * the vision tower alone: taken silently, they would seem to do something.
     */
    public void refuseTextOptions(String command) {
        if (heads.values() != null || tokenizer != null) {
            throw new UsageException((heads.values() != null ? "--heads" : "--tokenizer") + " is for text encoders; "
                    + command + " runs the vision tower (its heads: --vision-heads)");
        }
    }

    public String backend() {
        return backend;
    }

    public int threads() {
        return threads;
    }

    public boolean quiet() {
        return quiet.quiet();
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
        checkThreads();
        heads.checkValues();
        if (device(backend) instanceof Device.OpenClSelection) requireNativeAccess();
        if (backend.equals("cpu") && !Backends.vectorApiAvailable() && !noted) {
            noted = true;
            command.commandLine().getErr().println("sdclip: " + PORTABLE_NOTE + "; using the portable backend");
        }
        return TextEncoder.Options.defaults()
                .withTokenizer(tokenizer)
                .withHeads(heads.values())
                .withDevice(device(backend))
                .withThreads(cappedThreads(command.commandLine().getErr()))
                .withProjection(projection);
    }

    /** {@code --threads} is not negative. */
    void checkThreads() {
        if (threads < 0)
            throw new UsageException("--threads " + threads + ": give a positive count, or 0 for every processor");
    }

    /** 0 means every processor; more threads than processors only contend, so they are capped with a note. */
    int cappedThreads(PrintWriter err) {
        int processors = Runtime.getRuntime().availableProcessors();
        if (threads <= processors) return threads;
        if (!capNoted)
            err.println("sdclip: --threads " + threads + " capped to the " + processors + " available processor(s)");
        capNoted = true;
        return processors;
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
        if (!backend.equals("auto")) return;
        String why = enc.backendName().equals("portable") && !Backends.vectorApiAvailable() ? "; " + PORTABLE_NOTE : "";
        err.println("sdclip: backend auto: " + enc.backendName() + why);
    }
}
