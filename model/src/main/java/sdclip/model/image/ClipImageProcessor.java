package sdclip.model.image;

import java.nio.file.Path;
import java.util.Objects;

/**
 * CLIP image preprocessing to a square of {@code size} pixels, following OpenAI's
 * {@code _transform(size)} ({@link Preprocess#OPENAI}: resize in the image's own mode, center
 * crop, convert to RGB, normalise) or Hugging Face's {@code CLIPImageProcessor}
 * ({@link Preprocess#HF}: convert to RGB, resize, center crop, rescale, normalise). Both resize the
 * shorter side to {@code size} with Pillow's BICUBIC (see {@link ImageResizer}). Thread-safe.
 */
public final class ClipImageProcessor {
    private final int size;
    private final Preprocess mode;
    private final boolean exifTranspose;

    private ClipImageProcessor(int size, Preprocess mode, boolean exifTranspose) {
        this.size = size;
        this.mode = mode;
        this.exifTranspose = exifTranspose;
    }

    /**
     * A processor for {@code size x size} inputs.
     *
     * @param size the model's input side in pixels (224 for CLIP ViT-L/14)
     * @param mode which reference to reproduce
     * @return the processor
     * @throws IllegalArgumentException when {@code size} is not positive
     */
    public static ClipImageProcessor of(int size, Preprocess mode) {
        if (size <= 0) throw new IllegalArgumentException("size must be positive: " + size);
        return new ClipImageProcessor(size, Objects.requireNonNull(mode, "mode"), false);
    }

    /**
     * This processor, but turning each file upright by its Exif orientation first, as Pillow's
     * {@code ImageOps.exif_transpose} does (JPEG files; see {@link ImageDecoder#decode(Path, boolean)}).
     * Off by default: the references ignore the orientation.
     *
     * @param on whether to apply the orientation
     * @return a processor with that setting
     */
    public ClipImageProcessor withExifTranspose(boolean on) {
        return new ClipImageProcessor(size, mode, on);
    }

    /** {@return whether files are turned upright by their Exif orientation before preprocessing} */
    public boolean exifTranspose() {
        return exifTranspose;
    }

    /** {@return the output side in pixels} */
    public int size() {
        return size;
    }

    /** {@return which reference this processor reproduces} */
    public Preprocess mode() {
        return mode;
    }

    /**
     * Decodes the file ({@link ImageDecoder#decode}) and preprocesses it.
     *
     * @param file a PNG, JPEG, BMP or GIF file
     * @return the preprocessed image
     * @throws ImageException when the file cannot be read or decoded; the message names it
     */
    public PreprocessedImage process(Path file) {
        DecodedImage image = ImageDecoder.decode(file, exifTranspose);
        String tooLarge = tooLargeOnceResized(image);
        if (tooLarge != null) throw new ImageException(file, tooLarge);
        return process(image);
    }

    /**
     * Decodes an image held in memory ({@link ImageDecoder#decode(byte[], String)}) and
     * preprocesses it: the same result as {@link #process(Path)} on a file with these bytes.
     *
     * @param data the encoded image: PNG, JPEG, BMP or GIF
     * @param name what messages call it (a path or URI it came from, a row key)
     * @return the preprocessed image
     * @throws ImageException when the bytes cannot be decoded; the message starts with {@code name}
     */
    public PreprocessedImage process(byte[] data, String name) {
        DecodedImage image = ImageDecoder.decode(data, name, exifTranspose);
        String tooLarge = tooLargeOnceResized(image);
        if (tooLarge != null) throw new ImageException(name, tooLarge);
        return process(image);
    }

    /**
     * Why an image cannot be resized here, or null: a very thin image (20000 x 1) passes the
     * decoder's pixel limit, but resizing its short side to the model's size would make the long
     * side enormous, so the same limit applies to the resized image, checked before allocating.
     */
    private String tooLargeOnceResized(DecodedImage image) {
        int[] target = ImageResizer.shortSideTo(image.width(), image.height(), size);
        long pixels = (long) target[0] * target[1];
        if (target[0] > 0 && target[1] > 0 && pixels <= ImageDecoder.MAX_PIXELS) return null;
        return "is " + image.width() + " x " + image.height() + ": resized to a short side of " + size + " it would be "
                + target[0] + " x " + target[1] + ", more than " + ImageDecoder.MAX_PIXELS / 1_000_000
                + " megapixels; crop it first";
    }

    /**
     * Preprocesses a decoded image.
     *
     * @param image the image, any mode
     * @return the {@code [3, size, size]} crop and model input
     */
    public PreprocessedImage process(DecodedImage image) {
        String tooLarge = tooLargeOnceResized(image);
        if (tooLarge != null) throw new IllegalArgumentException("the image " + tooLarge);
        DecodedImage work = mode == Preprocess.HF ? RgbConverter.toRgb(image) : image;
        int[] target = ImageResizer.shortSideTo(work.width(), work.height(), size);
        work = ImageResizer.resize(work, target[0], target[1]);
        work = RgbConverter.toRgb(CenterCrop.apply(work, size, mode));
        byte[] u8 = PixelNormalizer.channelFirst(work);
        return new PreprocessedImage(
                size, u8, PixelNormalizer.normalize(u8, mode), image.width(), image.height(), image.mode());
    }
}
