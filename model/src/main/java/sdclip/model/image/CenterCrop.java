package sdclip.model.image;

/**
 * A square center crop, padding with zero samples where the image is smaller than the crop
 * (zero is black, transparent black, or palette index 0 in mode P, as torchvision pads).
 *
 * <ul>
 * <li>{@link Preprocess#OPENAI} (torchvision {@code CenterCrop}): a side larger than the crop is
 * cropped at {@code round((size - crop) / 2)}, rounded half to even (373 to 224 starts at 74);
 * a smaller side is padded with {@code (crop - size) / 2} (floor) before and the rest after.</li>
 * <li>{@link Preprocess#HF} (transformers {@code center_crop}): a larger side starts at
 * {@code floor((size - crop) / 2)}; a smaller side is padded with {@code ceil((crop - size) / 2)}
 * before and the rest after.</li>
 * </ul>
 */
final class CenterCrop {
    private CenterCrop() {}

    /**
     * Where the crop window starts along one side.
     *
     * @param size the side's length in pixels
     * @param crop the crop's side in pixels
     * @param mode whose rounding to follow
     * @return the first pixel of the window; negative means that many pixels of padding before
     */
    public static int offset(int size, int crop, Preprocess mode) {
        int excess = size - crop;
        if (excess >= 0) return mode == Preprocess.OPENAI ? (int) Math.rint(excess / 2.0) : Math.floorDiv(excess, 2);
        int missing = -excess;
        return mode == Preprocess.OPENAI ? -(missing / 2) : -((missing + 1) / 2);
    }

    /**
     * The {@code crop x crop} window of the image, in its own mode, padded with zeros where the image is smaller.
     *
     * @param image the image
     * @param crop  the crop's side in pixels
     * @param mode  whose rounding and padding to follow
     * @return a new image
     * @throws IllegalArgumentException when {@code crop} is not positive
     */
    public static DecodedImage apply(DecodedImage image, int crop, Preprocess mode) {
        if (crop <= 0) throw new IllegalArgumentException("crop size must be positive: " + crop);
        int left = offset(image.width(), crop, mode), top = offset(image.height(), crop, mode);
        if (image.mode() == PixelMode.I)
            return image.withPixels(
                    crop, crop, null, window(image.wideSamples(), image.width(), image.height(), left, top, crop));
        byte[] out = new byte[crop * crop * image.channels()];
        copyWindow(image.samples(), out, image.width(), image.height(), image.channels(), left, top, crop);
        return image.withPixels(crop, crop, out, null);
    }

    private static void copyWindow(
            Object src, Object dst, int width, int height, int channels, int left, int top, int crop) {
        int x0 = Math.max(0, left), x1 = Math.min(width, left + crop);
        if (x1 <= x0) return;
        for (int y = Math.max(0, top); y < Math.min(height, top + crop); y++) {
            System.arraycopy(
                    src,
                    (y * width + x0) * channels,
                    dst,
                    ((y - top) * crop + (x0 - left)) * channels,
                    (x1 - x0) * channels);
        }
    }

    private static int[] window(int[] src, int width, int height, int left, int top, int crop) {
        int[] out = new int[crop * crop];
        copyWindow(src, out, width, height, 1, left, top, crop);
        return out;
    }
}
