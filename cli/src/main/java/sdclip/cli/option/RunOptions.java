package sdclip.cli.option;

import java.io.PrintWriter;
import java.util.logging.Level;
import java.util.logging.Logger;

import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import sdclip.cli.UsageException;

/**
 * How a model runs: {@code --backend}, {@code --threads}, {@code --quiet}. Every command that runs
 * a model takes these; the text tower's own options are {@link ModelOptions}'.
 */
public final class RunOptions {
    /**
     * The engine logs its backend choices at INFO through java.util.logging, whose default
     * console output is two lines with a timestamp; the CLI says the same in one line itself.
     * Held here so the configured logger is not collected.
     */
    private static final Logger ENGINE_LOG = Logger.getLogger("sdclip.engine");

    static {
        ENGINE_LOG.setLevel(Level.WARNING);
    }

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

    private boolean capNoted;

    public String backend() {
        return backend;
    }

    public int threads() {
        return threads;
    }

    public boolean quiet() {
        return quiet.quiet();
    }

    /** {@code --threads} is not negative. */
    void checkThreads() {
        if (threads < 0)
            throw new UsageException("--threads " + threads + ": give a positive count, or 0 for every processor");
    }

    /**
     * 0 means every processor; more threads than processors only contend, so they are capped with a
     * note (once per run, however many encoders ask).
     *
     * @param err where the note goes
     * @return the thread count to run with
     */
    public int cappedThreads(PrintWriter err) {
        int processors = Runtime.getRuntime().availableProcessors();
        if (threads <= processors) return threads;
        if (!capNoted)
            err.println("sdclip: --threads " + threads + " capped to the " + processors + " available processor(s)");
        capNoted = true;
        return processors;
    }
}
