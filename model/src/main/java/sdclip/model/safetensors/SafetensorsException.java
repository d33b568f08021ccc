package sdclip.model.safetensors;

import java.nio.file.Path;

/** A file that is not valid safetensors, or lacks what is asked of it; the message names file and tensor. */
public final class SafetensorsException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public SafetensorsException(Path file, String message) {
        super(file + ": " + message);
    }

    public SafetensorsException(Path file, String tensor, String message) {
        super(file + ": tensor " + tensor + " " + message);
    }
}
