package sdclip.model.safetensors;

import java.nio.file.Path;

import sdclip.model.ModelFormatException;

/** A file that is not valid safetensors, or lacks what is asked of it; the message names file and tensor. */
public final class SafetensorsException extends ModelFormatException {
    private static final long serialVersionUID = 1L;

    /**
     * A problem with the file as a whole.
     *
     * @param file    the file (or index) at fault
     * @param message what is wrong, without the file name: it is prefixed with {@code file + ": "}
     */
    public SafetensorsException(Path file, String message) {
        super(file, message);
    }

    /**
     * A problem with one tensor; the message reads {@code <file>: tensor <tensor> <message>}.
     *
     * @param file    the file (or index) at fault
     * @param tensor  the tensor's name
     * @param message what is wrong with it, as a predicate, e.g. {@code "is missing"}
     */
    public SafetensorsException(Path file, String tensor, String message) {
        super(file, "tensor " + tensor + " " + message);
    }
}
