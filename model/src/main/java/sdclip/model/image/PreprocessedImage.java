package sdclip.model.image;

/**
 * One preprocessed image: {@code pixelU8} is the RGB crop before normalisation and
 * {@code pixelValues} the model input, both channel-first {@code [3, size, size]}; the source's
 * size and mode as decoded.
 */
public record PreprocessedImage(int size, byte[] pixelU8, float[] pixelValues, int sourceWidth, int sourceHeight, PixelMode sourceMode) {
    public PreprocessedImage {
        int n = 3 * size * size;
        if (pixelU8.length != n || pixelValues.length != n) throw new IllegalArgumentException("expected [3, " + size + ", " + size + "] tensors");
    }
}
