package sdclip.engine;

/**
 * The root of every error sdclip raises about what it was given or where it runs: a model file
 * it cannot read ({@code ModelFormatException} in the model module), an image, a prompt, a
 * device ({@link DeviceException}). {@link java.io.IOException} stays for input and output
 * alone, and {@link IllegalArgumentException} for arguments a caller could have checked.
 *
 * <p>Unchecked, unlike ONNX Runtime's {@code OrtException}: a service handles these at one
 * boundary (a request, a Spark task's error column) rather than at every call, and sinks and
 * lambdas that encode compose badly with checked exceptions. Every message is one line that
 * names the file or input and the problem.
 */
public class SdclipException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * An error with a one-line message.
     *
     * @param message what was wrong, naming the file or input
     */
    public SdclipException(String message) {
        super(message);
    }

    /**
     * An error with a one-line message and the lower-level cause.
     *
     * @param message what was wrong, naming the file or input
     * @param cause   the underlying error
     */
    public SdclipException(String message, Throwable cause) {
        super(message, cause);
    }
}
