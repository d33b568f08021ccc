package sdclip.model.checkpoint;

import java.nio.file.Path;

/**
 * A head count the caller gave does not divide a tower's width: the caller's mistake, not the
 * file's (a {@code config.json} count that does not divide is a {@link
 * sdclip.model.safetensors.SafetensorsException}). Raised when the checkpoint is opened; the
 * message names the file, the tower, the count and the width.
 */
public final class HeadCountException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    /** Whether the count was the vision tower's, else a text encoder's. */
    private final boolean vision;

    /**
     * A given head count that does not divide a tower's width.
     *
     * @param file the checkpoint file
     * @param tower the tower, as messages name it ({@code CLIP-L text encoder}, {@code vision tower})
     * @param heads the count given
     * @param width the tower's width
     * @param vision whether it is the vision tower
     */
    public HeadCountException(Path file, String tower, int heads, int width, boolean vision) {
        super(file + ": " + tower + ": " + heads + " heads do not divide the width " + width);
        this.vision = vision;
    }

    /** {@return whether the count was the vision tower's, else a text encoder's} */
    public boolean vision() {
        return vision;
    }
}
