package sdclip.cli;

import java.nio.file.Path;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import sdclip.engine.Backends;
import sdclip.model.TextEncoder;

/** Options every command that runs a model shares. */
final class ModelOptions {
    /** Why this JVM computes on the portable backend, and what would make it faster. */
    static final String PORTABLE_NOTE = "the Vector API module is not available (start java with --add-modules jdk.incubator.vector for speed)";
    /** What OpenCL needs from the java command line. */
    static final String NATIVE_ACCESS_HINT = "OpenCL needs native access: start java with --enable-native-access=ALL-UNNAMED (./sdclip and java -jar sdclip.jar do)";

    /**
     * The engine logs its backend choices at INFO through java.util.logging, whose default
     * console output is two lines with a timestamp; the CLI says the same in one line itself.
     * Held here so the configured logger is not collected.
     */
    private static final java.util.logging.Logger ENGINE_LOG = java.util.logging.Logger.getLogger("sdclip.engine");

    static {
        ENGINE_LOG.setLevel(java.util.logging.Level.WARNING);
    }

    @Spec(Spec.Target.MIXEE) CommandSpec mixee;

    @Option(names = "--tokenizer", paramLabel = "PATH", description = "bpe_simple_vocab_16e6.txt.gz, a vocab.json, or a folder with vocab.json + merges.txt (default: the model's tokenizer/ folder, then $SDCLIP_TOKENIZER).")
    Path tokenizer;

    @Option(names = "--heads", paramLabel = "N[,N]", split = ",", description = "Attention heads per text encoder (default: config.json, else width / 64).")
    int[] heads;

    @Option(names = "--backend", defaultValue = "cpu", paramLabel = "NAME", description = "cpu (Vector API; portable when java runs without jdk.incubator.vector), portable (plain Java, any JVM, slower), reference (scalar, slow), opencl (first GPU, else first device), opencl:P:D, or auto (an OpenCL GPU if any, else cpu) (default: ${DEFAULT-VALUE}).")
    String backend;

    @Option(names = "--threads", paramLabel = "N", description = "Worker threads (default: available processors).")
    int threads;

    @Option(names = "--quiet", description = "No progress bar.")
    boolean quiet;

    private boolean noted;

    TextEncoder.Options options(Path projection) {
        if (threads < 0) throw new IllegalArgumentException("--threads must be positive");
        if (heads != null) for (int h : heads) if (h < 1) throw new IllegalArgumentException("--heads values must be positive, got " + h);
        if (backend.startsWith("opencl")) requireNativeAccess();
        if (backend.equals("cpu") && !Backends.vectorApiAvailable() && !noted) {
            noted = true;
            mixee.commandLine().getErr().println("sdclip: " + PORTABLE_NOTE + "; using the portable backend");
        }
        return TextEncoder.Options.defaults().withTokenizer(tokenizer).withHeads(heads).withBackend(backend).withThreads(threads).withProjection(projection);
    }

    /** Refuses, in one line naming the flag, when OpenCL would make the JVM print a native-access warning. */
    static void requireNativeAccess() {
        if (!Backends.openClNativeAccess()) throw new IllegalStateException(NATIVE_ACCESS_HINT);
    }

    /** Says on stderr which backend {@code --backend auto} chose, and why when it is the portable one. */
    void announce(TextEncoder enc, java.io.PrintWriter err) {
        if (!backend.equals("auto")) return;
        String why = enc.backendName().equals("portable") && !Backends.vectorApiAvailable() ? "; " + PORTABLE_NOTE : "";
        err.println("sdclip: backend auto: " + enc.backendName() + why);
    }
}
