package sdclip.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Properties;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;
import sdclip.cli.command.BenchCommand;
import sdclip.cli.command.ConvertCommand;
import sdclip.cli.command.DevicesCommand;
import sdclip.cli.command.DiffCommand;
import sdclip.cli.command.EncodeCommand;
import sdclip.cli.command.EncodeImageCommand;
import sdclip.cli.command.ExtractCommand;
import sdclip.cli.command.InspectCommand;
import sdclip.cli.command.PullCommand;
import sdclip.cli.command.ScoreCommand;
import sdclip.cli.command.SimilarityCommand;
import sdclip.cli.command.SynthCommand;
import sdclip.cli.command.TokenizeCommand;
import sdclip.cli.option.ModelPaths;
import sdclip.cli.output.Progress;
import sdclip.cli.output.ReaderGoneException;
import sdclip.cli.output.StandardOutput;
import sdclip.model.checkpoint.HeadCountException;

/**
 * The {@code sdclip} command. Exit codes: 0 success, 1 runtime error, 2 usage error (picocli's
 * parse errors, the commands' own {@link UsageException}s, thrown by checks that run before
 * any work, and a {@link HeadCountException} from opening a model). Errors are one line on stderr; {@code --verbose} adds the stack trace of a runtime
 * error. A failed write to standard output (a full disk, a closed pipe) is an error too.
 */
@Command(
        name = "sdclip",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description =
                "A pure-Java CLIP engine for Stable Diffusion checkpoints: text conditioning and embeddings, image embeddings, CLIPScore.",
        subcommands = {
            InspectCommand.class,
            TokenizeCommand.class,
            EncodeCommand.class,
            SimilarityCommand.class,
            EncodeImageCommand.class,
            ScoreCommand.class,
            ExtractCommand.class,
            ConvertCommand.class,
            DiffCommand.class,
            PullCommand.class,
            SynthCommand.class,
            BenchCommand.class,
            DevicesCommand.class,
            CommandLine.HelpCommand.class
        })
public final class Main {

    @Option(names = "--verbose", scope = ScopeType.INHERIT, description = "Print stack traces with errors.")
    boolean verbose;

    public static void main(String[] args) {
        PrintWriter err = new PrintWriter(System.err, true);
        // A worker thread that runs out of memory says so in one line, not a stack trace.
        Thread.UncaughtExceptionHandler fallback = Thread.getDefaultUncaughtExceptionHandler();
        Thread.setDefaultUncaughtExceptionHandler((thread, e) -> {
            if (e instanceof OutOfMemoryError) err.println("sdclip: " + ErrorLine.describe(e));
            else if (fallback != null) fallback.uncaughtException(thread, e);
            else e.printStackTrace();
        });
        System.exit(run(args, StandardOutput.open(), err));
    }

    /** The shell's status for a program whose reader went away (128 + SIGPIPE), as `cmd | head` expects. */
    static final int BROKEN_PIPE = 141;

    /** The shell's status for a program stopped by Ctrl-C (128 + SIGINT). */
    static final int INTERRUPTED = 130;

    /** Whether the JVM has begun to shut down (a signal, or System.exit elsewhere): hooks can no longer be added. */
    static boolean shuttingDown() {
        Thread probe = new Thread(() -> {});
        try {
            Runtime.getRuntime().addShutdownHook(probe);
            Runtime.getRuntime().removeShutdownHook(probe);
            return false;
        } catch (IllegalStateException e) {
            return true;
        }
    }

    /** Runs the command line with the given streams; returns the exit code. */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        Main main = new Main();
        CommandLine cli = new CommandLine(main);
        cli.setOut(out);
        cli.setErr(err);
        // picocli's parse errors, and the UsageException of a check an option setter makes while parsing (picocli wraps
        // it).
        cli.setParameterExceptionHandler((e, a) -> usage(
                e.getCause() instanceof UsageException u ? u.getMessage() : asTyped(e, a), e.getCommandLine(), err));
        cli.setCaseInsensitiveEnumValuesAllowed(true); // --dtype Q8_0 as well as q8_0
        // Path.of("") is the current folder: an empty path option (--model "") would read or write there.
        cli.registerConverter(Path.class, text -> {
            if (text.isEmpty()) throw new CommandLine.TypeConversionException("an empty path");
            return Path.of(text);
        });
        cli.setExecutionExceptionHandler((e, command, parsed) -> {
            // Ctrl-C or SIGTERM: the JVM is stopping and its hooks remove the temporaries; what failed
            // meanwhile (a rename of a file just deleted) is the interrupt's doing, not an error to report.
            if (shuttingDown()) return INTERRUPTED;
            Progress.endOpenLine(); // the error starts on a line of its own, not after a progress bar
            // A head count given that does not fit the model is the command line's mistake, found on opening it.
            if (e instanceof UsageException || e instanceof HeadCountException)
                return usage(e.getMessage(), command, err);
            OutOfMemoryError oom = outOfMemoryCause(e);
            if (oom != null && !main.verbose) {
                err.println("sdclip: " + ErrorLine.describe(oom));
                return 1;
            }
            if (e instanceof ReaderGoneException)
                return BROKEN_PIPE; // stop at once and say nothing, as `| head` expects
            if (main.verbose) e.printStackTrace(err);
            else err.println("sdclip: " + ModelPaths.asTyped(command.getCommandSpec(), ErrorLine.describe(e)));
            return 1;
        });
        int code;
        try {
            code = cli.execute(args);
        } catch (OutOfMemoryError e) {
            // picocli passes Errors on; this one is a sizing problem the user can fix, not a crash.
            if (main.verbose) e.printStackTrace(err);
            else err.println("sdclip: " + ErrorLine.describe(e));
            return 1;
        }
        if (code == 0) {
            // PrintWriter swallows write errors: a full disk or a closed pipe shows only here.
            try {
                StandardOutput.check(out);
            } catch (IOException e) {
                if (e instanceof ReaderGoneException) return BROKEN_PIPE;
                err.println("sdclip: " + e.getMessage());
                return 1;
            }
        }
        return code;
    }

    /** A usage error: one line naming the problem and where help is, exit 2. */
    private static int usage(String message, CommandLine command, PrintWriter err) {
        err.println("sdclip: " + message.replace('\n', ' ') + " (see '"
                + command.getCommandSpec().qualifiedName() + " --help')");
        return 2;
    }

    /**
     * picocli's message, naming an option with several names (convert's {@code --dtype} and
     * {@code --type}) as the command line spelled it, not by its longest name.
     */
    static String asTyped(CommandLine.ParameterException e, String[] args) {
        String message = e.getMessage();
        CommandLine.Model.ArgSpec arg = e.getArgSpec();
        if (e instanceof CommandLine.MissingParameterException m
                && arg == null
                && !m.getMissing().isEmpty()) arg = m.getMissing().getFirst();
        if (e instanceof CommandLine.OverwrittenOptionException o) arg = o.getOverwritten();
        if (!(arg instanceof CommandLine.Model.OptionSpec o) || o.names().length < 2) return message;
        java.util.Set<String> typed = new java.util.LinkedHashSet<>();
        for (String a : args) for (String n : o.names()) if (a.equals(n) || a.startsWith(n + "=")) typed.add(n);
        if (typed.isEmpty()) return message;
        String last = typed.stream().reduce((x, y) -> y).orElseThrow();
        message = message.replace("'" + o.longestName() + "'", "'" + last + "'");
        return typed.size() < 2 ? message : message + " (" + String.join(" and ", typed) + " are the same option)";
    }

    /** The out-of-memory error behind {@code e} (a worker's, wrapped by the pool), or null. */
    private static OutOfMemoryError outOfMemoryCause(Throwable e) {
        for (Throwable t = e; t != null && t.getCause() != t; t = t.getCause())
            if (t instanceof OutOfMemoryError oom) return oom;
        return null;
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() throws IOException {
            Properties p = new Properties();
            try (InputStream in = Main.class.getResourceAsStream("/sdclip-version.properties")) {
                if (in != null) p.load(in);
            }
            return new String[] {
                "sdclip " + p.getProperty("version", "unknown"),
                "Java " + Runtime.version() + " (" + System.getProperty("java.vm.name") + ")",
            };
        }
    }
}
