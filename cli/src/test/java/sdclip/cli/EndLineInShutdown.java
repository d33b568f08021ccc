package sdclip.cli;

import java.io.IOException;
import java.nio.file.Path;

import sdclip.cli.output.Progress;
import sdclip.cli.output.TempFiles;

/**
 * A JVM whose first use of {@link Progress} and {@link TempFiles} is in a shutdown hook, as when
 * Ctrl-C lands before any bar was drawn or any temporary made: ending the (absent) line says
 * nothing, and a temporary asked for then is refused with an IOException, not an initializer error.
 */
final class EndLineInShutdown {
    private EndLineInShutdown() {}

    public static void main(String[] args) {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            Progress.endOpenLine();
            try {
                TempFiles.newFolder(Path.of(args[0], "out"));
                System.out.println("made a temporary while stopping");
            } catch (IOException e) {
                System.out.println("refused");
            }
        }));
        System.exit(0);
    }
}
