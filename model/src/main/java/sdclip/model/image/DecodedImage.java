package sdclip.model.image;

import java.util.Objects;

/**
 * Decoded pixels in a Pillow mode: row-major, channels interleaved. Mode {@link PixelMode#I}
 * keeps its samples in {@code wideSamples} ({@code samples} is null); every other mode in
 * {@code samples} (unsigned bytes). Mode {@link PixelMode#P} carries a 256-entry palette of
 * packed {@code 0xRRGGBB} values.
 *
 * @param width       width in pixels, positive
 * @param height      height in pixels, positive
 * @param mode        the Pillow mode
 * @param samples     {@code width * height * mode.channels()} unsigned bytes, row-major; null in mode I
 * @param wideSamples {@code width * height} 32-bit gray samples in mode I, else null
 * @param palette     256 packed {@code 0xRRGGBB} entries in mode P, else null
 */
public record DecodedImage(int width, int height, PixelMode mode, byte[] samples, int[] wideSamples, int[] palette) {

    /**
     * Checks that the samples fit the size and mode; the arrays are kept, not copied.
     *
     * @throws IllegalArgumentException for a non-positive size, samples of the wrong kind or length, or a
     *                                  palette without mode P (or mode P without one)
     */
    public DecodedImage {
        Objects.requireNonNull(mode, "mode");
        if (width <= 0 || height <= 0)
            throw new IllegalArgumentException("image size must be positive: " + width + " x " + height);
        long n = (long) width * height * mode.channels();
        if (mode == PixelMode.I) {
            if (wideSamples == null || wideSamples.length != n || samples != null)
                throw new IllegalArgumentException("mode I needs " + n + " wide samples only");
        } else if (samples == null || samples.length != n || wideSamples != null) {
            throw new IllegalArgumentException("mode " + mode.pillowName() + " needs " + n + " byte samples only");
        }
        if ((mode == PixelMode.P) != (palette != null))
            throw new IllegalArgumentException("a palette goes with mode P only");
        if (palette != null && palette.length != 256) throw new IllegalArgumentException("a palette has 256 entries");
    }

    /**
     * An 8-bit image in any mode but P and I.
     *
     * @param width   width in pixels
     * @param height  height in pixels
     * @param mode    the mode, not P or I
     * @param samples {@code width * height * mode.channels()} bytes, row-major, channels interleaved
     * @return the image
     * @throws IllegalArgumentException when the samples do not fit the size and mode
     */
    public static DecodedImage of(int width, int height, PixelMode mode, byte[] samples) {
        return new DecodedImage(width, height, mode, samples, null, null);
    }

    /**
     * A palette image (mode P).
     *
     * @param width   width in pixels
     * @param height  height in pixels
     * @param indices one palette index per pixel, row-major
     * @param palette 256 packed {@code 0xRRGGBB} entries
     * @return the image
     * @throws IllegalArgumentException when the indices do not fit the size or the palette is not 256 entries
     */
    public static DecodedImage ofPalette(int width, int height, byte[] indices, int[] palette) {
        return new DecodedImage(width, height, PixelMode.P, indices, null, palette);
    }

    /**
     * A 32-bit integer gray image (mode I).
     *
     * @param width   width in pixels
     * @param height  height in pixels
     * @param samples one sample per pixel, row-major
     * @return the image
     * @throws IllegalArgumentException when the samples do not fit the size
     */
    public static DecodedImage ofWide(int width, int height, int[] samples) {
        return new DecodedImage(width, height, PixelMode.I, null, samples, null);
    }

    /** An image of the same mode (and palette) with other pixels. */
    DecodedImage withPixels(int newWidth, int newHeight, byte[] newSamples, int[] newWide) {
        return new DecodedImage(newWidth, newHeight, mode, newSamples, newWide, palette);
    }

    /** {@return samples per pixel, as the mode has them} */
    public int channels() {
        return mode.channels();
    }

    /**
     * One 8-bit sample (not for mode I).
     *
     * @param x the column, from 0
     * @param y the row, from 0
     * @param c the channel, from 0
     * @return the unsigned sample, 0 to 255
     */
    public int sample(int x, int y, int c) {
        return samples[(y * width + x) * mode.channels() + c] & 0xff;
    }
}
