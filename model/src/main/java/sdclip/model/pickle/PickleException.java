package sdclip.model.pickle;

import java.nio.file.Path;

import sdclip.model.ModelFormatException;

/**
 * A PyTorch checkpoint that is refused: malformed, truncated, or asking for something this
 * reader never does (an unknown global, an opcode outside the supported set, a storage outside
 * the archive). The message is one line and starts with the file.
 */
public final class PickleException extends ModelFormatException {
    private static final long serialVersionUID = 1L;
    private final String problem;

    /**
     * A refused file.
     *
     * @param file    the checkpoint
     * @param message what is wrong, without the file name
     */
    public PickleException(Path file, String message) {
        super(file, message);
        this.problem = message;
    }

    /** What is wrong, without the file name. */
    String problem() {
        return problem;
    }
}
