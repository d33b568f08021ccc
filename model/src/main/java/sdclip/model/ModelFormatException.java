package sdclip.model;

import java.nio.file.Path;

import sdclip.engine.SdclipException;

/**
 * A file that is not a model sdclip can use for the job: malformed or refused (safetensors,
 * PyTorch pickles, vocabularies, {@code config.json}), a checkpoint whose keys no rule
 * recognises, or one that lacks what is asked of it (a text encoder, a vision tower, a text
 * projection). The message starts with the file.
 */
public class ModelFormatException extends SdclipException {
    private static final long serialVersionUID = 1L;

    /**
     * A problem with a file.
     *
     * @param file    the file or folder at fault
     * @param problem what is wrong, without the file name: the message is {@code file + ": " + problem}
     */
    public ModelFormatException(Path file, String problem) {
        super(file + ": " + problem);
    }

    /**
     * A problem with a file, with its cause.
     *
     * @param file    the file or folder at fault
     * @param problem what is wrong, without the file name
     * @param cause   the underlying error
     */
    public ModelFormatException(Path file, String problem, Throwable cause) {
        super(file + ": " + problem, cause);
    }
}
