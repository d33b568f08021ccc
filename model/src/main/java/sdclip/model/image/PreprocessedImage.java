package sdclip.model.image;

/**
 * One preprocessed image: {@code pixelU8} is the RGB crop before normalisation and
 * {@code pixelValues} the model input, both channel-first {@code [3, size, size]}; the source's
 * size and mode as decoded.
 *
 * @param size         the crop's side in pixels (224 for ViT-L/14)
 * @param pixelU8      the RGB crop, {@code [3, size, size]} unsigned bytes
 * @param pixelValues  the normalised model input, {@code [3, size, size]} float32
 * @param sourceWidth  the decoded image's width in pixels
 * @param sourceHeight the decoded image's height in pixels
 * @param sourceMode   the decoded image's Pillow mode
 */
public record PreprocessedImage(
        int size, byte[] pixelU8, float[] pixelValues, int sourceWidth, int sourceHeight, PixelMode sourceMode) {
    /**
     * Checks the two arrays' lengths; they are kept, not copied.
     *
     * @throws IllegalArgumentException when an array is not {@code 3 * size * size} long
     */
    public PreprocessedImage {
        int n = 3 * size * size;
        if (pixelU8.length != n || pixelValues.length != n)
            throw new IllegalArgumentException("expected [3, " + size + ", " + size + "] tensors");
    }
}
