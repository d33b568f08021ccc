package sdclip.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.util.Properties;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * The {@code sdclip} command. Exit codes: 0 success, 1 runtime error, 2 usage error. Errors are
 * one line on stderr; {@code --verbose} adds the stack trace.
 */
@Command(name = "sdclip",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = "A pure-Java CLIP text encoder for Stable Diffusion checkpoints.",
        subcommands = {InspectCommand.class, TokenizeCommand.class, EncodeCommand.class, SimilarityCommand.class, ExtractCommand.class, DiffCommand.class, PullCommand.class, SynthCommand.class, BenchCommand.class, DevicesCommand.class, CommandLine.HelpCommand.class})
public final class Main {

    @Option(names = "--verbose", scope = ScopeType.INHERIT, description = "Print stack traces with errors.")
    boolean verbose;

    public static void main(String[] args) {
        System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs the command line with the given streams; returns the exit code. */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        Main main = new Main();
        CommandLine cli = new CommandLine(main);
        cli.setOut(out);
        cli.setErr(err);
        cli.setParameterExceptionHandler((e, a) -> {
            err.println("sdclip: " + e.getMessage());
            err.println("Try '" + e.getCommandLine().getCommandSpec().qualifiedName() + " --help'.");
            return 2;
        });
        cli.setExecutionExceptionHandler((e, command, parsed) -> {
            if (main.verbose) e.printStackTrace(err);
            else err.println("sdclip: " + describe(e));
            return 1;
        });
        return cli.execute(args);
    }

    /** One line: the message, or the exception type when there is none. */
    static String describe(Throwable e) {
        String message = e.getMessage();
        if (e instanceof OutOfMemoryError) return "out of memory: " + message + " (raise the heap with SDCLIP_JAVA_OPTS=-Xmx...)";
        if (message == null || message.isBlank()) return e.getClass().getSimpleName();
        return message.replace('\n', ' ');
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override public String[] getVersion() throws IOException {
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
