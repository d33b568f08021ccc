package sdclip.model.pickle;

import java.nio.file.Path;

/**
 * A PyTorch checkpoint that is refused: malformed, truncated, or asking for something this
 * reader never does (an unknown global, an opcode outside the supported set, a storage outside
 * the archive). The message is one line and starts with the file.
 */
public final class PickleException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public PickleException(Path file, String message) {
        super(file + ": " + message);
    }
}
