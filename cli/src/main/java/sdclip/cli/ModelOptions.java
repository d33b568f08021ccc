package sdclip.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;
import sdclip.model.TextEncoder;

/** Options every command that runs a model shares. */
final class ModelOptions {
    @Option(names = "--tokenizer", paramLabel = "PATH", description = "bpe_simple_vocab_16e6.txt.gz, a vocab.json, or a folder with vocab.json + merges.txt (default: the model's tokenizer/ folder, then $SDCLIP_TOKENIZER).")
    Path tokenizer;

    @Option(names = "--heads", paramLabel = "N[,N]", split = ",", description = "Attention heads per text encoder (default: config.json, else width / 64).")
    int[] heads;

    @Option(names = "--backend", defaultValue = "cpu", paramLabel = "NAME", description = "cpu (Vector API), reference (scalar, slow), opencl (first GPU, else first device), opencl:P:D, or auto (an OpenCL GPU if any, else cpu) (default: ${DEFAULT-VALUE}).")
    String backend;

    @Option(names = "--threads", paramLabel = "N", description = "Worker threads (default: available processors).")
    int threads;

    @Option(names = "--quiet", description = "No progress bar.")
    boolean quiet;

    TextEncoder.Options options(Path projection) {
        if (threads < 0) throw new IllegalArgumentException("--threads must be positive");
        if (heads != null) for (int h : heads) if (h < 1) throw new IllegalArgumentException("--heads values must be positive, got " + h);
        return TextEncoder.Options.defaults().withTokenizer(tokenizer).withHeads(heads).withBackend(backend).withThreads(threads).withProjection(projection);
    }

    /** Says on stderr which backend {@code --backend auto} chose. */
    void announce(TextEncoder enc, java.io.PrintWriter err) {
        if (backend.equals("auto")) err.println("sdclip: backend auto: " + enc.backendName());
    }
}
