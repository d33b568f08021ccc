package sdclip.model.image;

import java.util.Objects;

/**
 * Decoded pixels in a Pillow mode: row-major, channels interleaved. Mode {@link PixelMode#I}
 * keeps its samples in {@code wideSamples} ({@code samples} is null); every other mode in
 * {@code samples} (unsigned bytes). Mode {@link PixelMode#P} carries a 256-entry palette of
 * packed {@code 0xRRGGBB} values.
 */
public record DecodedImage(int width, int height, PixelMode mode, byte[] samples, int[] wideSamples, int[] palette) {

    public DecodedImage {
        Objects.requireNonNull(mode, "mode");
        if (width <= 0 || height <= 0) throw new IllegalArgumentException("image size must be positive: " + width + " x " + height);
        long n = (long) width * height * mode.channels();
        if (mode == PixelMode.I) {
            if (wideSamples == null || wideSamples.length != n || samples != null) throw new IllegalArgumentException("mode I needs " + n + " wide samples only");
        } else if (samples == null || samples.length != n || wideSamples != null) {
            throw new IllegalArgumentException("mode " + mode.pillowName() + " needs " + n + " byte samples only");
        }
        if ((mode == PixelMode.P) != (palette != null)) throw new IllegalArgumentException("a palette goes with mode P only");
        if (palette != null && palette.length != 256) throw new IllegalArgumentException("a palette has 256 entries");
    }

    /** An 8-bit image in any mode but P and I. */
    public static DecodedImage of(int width, int height, PixelMode mode, byte[] samples) {
        return new DecodedImage(width, height, mode, samples, null, null);
    }

    /** A palette image: one index per pixel, 256 packed RGB entries. */
    public static DecodedImage ofPalette(int width, int height, byte[] indices, int[] palette) {
        return new DecodedImage(width, height, PixelMode.P, indices, null, palette);
    }

    /** A 32-bit integer gray image (mode I). */
    public static DecodedImage ofWide(int width, int height, int[] samples) {
        return new DecodedImage(width, height, PixelMode.I, null, samples, null);
    }

    /** An image of the same mode (and palette) with other pixels. */
    DecodedImage withPixels(int newWidth, int newHeight, byte[] newSamples, int[] newWide) {
        return new DecodedImage(newWidth, newHeight, mode, newSamples, newWide, palette);
    }

    public int channels() { return mode.channels(); }

    /** The unsigned 8-bit sample at (x, y), channel c (not for mode I). */
    public int sample(int x, int y, int c) { return samples[(y * width + x) * mode.channels() + c] & 0xff; }
}
