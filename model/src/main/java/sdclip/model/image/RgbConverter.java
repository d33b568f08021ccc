package sdclip.model.image;

/**
 * Pillow's {@code convert("RGB")}: alpha is dropped without compositing, gray is repeated, 1-bit
 * pixels are 0 or 255, palette indices are looked up, mode I is clamped to 0..255 (Pillow's
 * {@code i2rgb}, so 16-bit gray PNGs saturate: that is what the reference does), and CMYK is
 * Pillow's {@code cmyk2rgb}: {@code nk - c * nk / 255} with {@code nk = 255 - k}, rounded as its
 * MULDIV255 (no colour profile).
 */
final class RgbConverter {
    private RgbConverter() {}

    /**
     * Converts to RGB as Pillow does.
     *
     * @param image the image, any mode
     * @return the image in mode RGB (the same instance when it already is)
     */
    public static DecodedImage toRgb(DecodedImage image) {
        if (image.mode() == PixelMode.RGB) return image;
        int n = image.width() * image.height(), ch = image.channels();
        byte[] rgb = new byte[n * 3];
        for (int p = 0; p < n; p++) {
            int o = p * 3;
            switch (image.mode()) {
                case RGBA -> System.arraycopy(image.samples(), p * ch, rgb, o, 3);
                case P -> {
                    int c = image.palette()[image.samples()[p] & 0xff];
                    rgb[o] = (byte) (c >> 16);
                    rgb[o + 1] = (byte) (c >> 8);
                    rgb[o + 2] = (byte) c;
                }
                case I -> gray(rgb, o, Math.clamp(image.wideSamples()[p], 0, 255));
                case BILEVEL -> gray(rgb, o, image.samples()[p] != 0 ? 255 : 0);
                case CMYK -> {
                    int at = p * 4, nk = 255 - (image.samples()[at + 3] & 0xff);
                    for (int c = 0; c < 3; c++)
                        rgb[o + c] = (byte) (nk - mulDiv255(image.samples()[at + c] & 0xff, nk));
                }
                default -> gray(rgb, o, image.samples()[p * ch] & 0xff); // L, LA
            }
        }
        return DecodedImage.of(image.width(), image.height(), PixelMode.RGB, rgb);
    }

    /** Pillow's MULDIV255: {@code a * b / 255} rounded, exact for 8-bit operands. */
    private static int mulDiv255(int a, int b) {
        int t = a * b + 128;
        return (t + (t >> 8)) >> 8;
    }

    private static void gray(byte[] rgb, int o, int v) {
        rgb[o] = rgb[o + 1] = rgb[o + 2] = (byte) v;
    }
}
