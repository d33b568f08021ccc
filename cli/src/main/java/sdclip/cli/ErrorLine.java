package sdclip.cli;

import java.io.IOException;

import sdclip.engine.SdclipException;

/** The one line an error is told in on stderr, after {@code sdclip: }. */
public final class ErrorLine {
    private ErrorLine() {}

    /** One line: the message, or the exception type when there is none. */
    public static String describe(Throwable e) {
        String message = e.getMessage() == null || e.getMessage().isBlank()
                ? null
                : e.getMessage().replace('\n', ' ');
        return switch (e) {
            case OutOfMemoryError _ -> outOfMemory(e.getMessage());
            // The library's own errors (a model file, an image, a prompt, a device) and I/O name their input.
            case SdclipException _ when message != null -> message;
            case IOException _ when message != null -> message;
            // Anything else is a bug or an unexpected state: its type says more than a bare message.
            default -> message != null ? message : e.getClass().getSimpleName();
        };
    }

    /** One line: what ran out, the heap this JVM had, and how to give it more. */
    static String outOfMemory(String what) {
        long mb = Runtime.getRuntime().maxMemory() >> 20;
        return "out of memory (" + (what == null ? "Java heap space" : what) + ") with a maximum Java heap of " + mb
                + " MB; raise it, e.g. SDCLIP_JAVA_OPTS=-Xmx" + Math.max(1, 2 * mb / 1024 + 1)
                + "g for ./sdclip (java -Xmx... otherwise)";
    }
}
