package sdclip.model.gguf;

import java.nio.file.Path;

import sdclip.model.ModelFormatException;

/** A GGUF file that is refused: malformed, truncated, big-endian, or using a tensor type sdclip does not read. */
public final class GgufException extends ModelFormatException {
    private static final long serialVersionUID = 1L;

    /**
     * A refused file.
     *
     * @param file    the file
     * @param message what is wrong, without the file name
     */
    public GgufException(Path file, String message) {
        super(file, message);
    }
}
