package sdclip.cli;

import sdclip.cli.output.Progress;

/**
 * A JVM whose first use of {@link Progress} is in a shutdown hook, as when Ctrl-C lands before
 * any bar was drawn and the error path ends the (absent) line: it must say nothing.
 */
final class EndLineInShutdown {
    private EndLineInShutdown() {}

    public static void main(String[] args) {
        Runtime.getRuntime().addShutdownHook(new Thread(Progress::endOpenLine));
        System.exit(0);
    }
}
