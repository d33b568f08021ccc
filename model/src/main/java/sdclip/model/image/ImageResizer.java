package sdclip.model.image;

/**
 * Resizes like Pillow's {@code Image.resize(size, BICUBIC)}: the same size is a copy; palette and
 * 1-bit images use NEAREST (Pillow forces it); LA and RGBA are resized premultiplied and
 * un-premultiplied after, so fully transparent pixels come out black; mode I uses the 32-bit path;
 * CMYK is four plain 8-bit channels.
 */
final class ImageResizer {
    private ImageResizer() {}

    /**
     * Resizes an image in its own mode.
     *
     * @param image     the image
     * @param newWidth  the width in pixels
     * @param newHeight the height in pixels
     * @return a new image (a copy when the size is unchanged)
     * @throws IllegalArgumentException when a target side is not positive
     */
    public static DecodedImage resize(DecodedImage image, int newWidth, int newHeight) {
        if (newWidth <= 0 || newHeight <= 0)
            throw new IllegalArgumentException("target size must be positive: " + newWidth + " x " + newHeight);
        int w = image.width(), h = image.height(), ch = image.channels();
        if (w == newWidth && h == newHeight)
            return image.withPixels(
                    w,
                    h,
                    cloneOrNull(image.samples()),
                    image.wideSamples() == null ? null : image.wideSamples().clone());
        return switch (image.mode()) {
            case P, BILEVEL ->
                image.withPixels(
                        newWidth,
                        newHeight,
                        NearestResampler.resize(image.samples(), w, h, ch, newWidth, newHeight),
                        null);
            case I ->
                image.withPixels(
                        newWidth,
                        newHeight,
                        null,
                        BicubicResampler.resize(image.wideSamples(), w, h, newWidth, newHeight));
            case LA, RGBA -> {
                byte[] s = image.samples().clone();
                Premultiplied.premultiply(s, ch);
                byte[] out = BicubicResampler.resize(s, w, h, ch, newWidth, newHeight);
                Premultiplied.unpremultiply(out, ch);
                yield image.withPixels(newWidth, newHeight, out, null);
            }
            case L, RGB, CMYK ->
                image.withPixels(
                        newWidth,
                        newHeight,
                        BicubicResampler.resize(image.samples(), w, h, ch, newWidth, newHeight),
                        null);
        };
    }

    /**
     * The size torchvision's {@code Resize(n)} and Hugging Face's {@code shortest_edge} give:
     * the shorter side becomes {@code n}, the longer {@code int(n * long / short)} (truncated).
     *
     * @param width  the image's width in pixels
     * @param height the image's height in pixels
     * @param n      the shorter side's target length, positive
     * @return {@code {width, height}} after the resize
     * @throws IllegalArgumentException when {@code n} is not positive
     */
    public static int[] shortSideTo(int width, int height, int n) {
        if (n <= 0) throw new IllegalArgumentException("size must be positive: " + n);
        int shortSide = Math.min(width, height), longSide = Math.max(width, height);
        int newLong = (int) ((double) ((long) n * longSide) / shortSide);
        return width <= height ? new int[] {n, newLong} : new int[] {newLong, n};
    }

    private static byte[] cloneOrNull(byte[] a) {
        return a == null ? null : a.clone();
    }
}
