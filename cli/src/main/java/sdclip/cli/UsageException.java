package sdclip.cli;

/**
 * A command line that cannot mean anything: a bad option value, a missing input, an option the
 * model contradicts ({@code --encoder 3} on a one-encoder model). The one way commands and
 * option checks say so: {@link Main} prints its message as one line with the help hint, as it
 * does picocli's own parse errors, and exits 2, where a runtime error exits 1.
 */
public final class UsageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public UsageException(String message) {
        super(message, null, false, false);
    }
}
