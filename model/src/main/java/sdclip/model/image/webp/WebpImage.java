package sdclip.model.image.webp;

/**
 * A decoded WebP image as Pillow opens it: RGBA when the file says it has alpha, else RGB.
 *
 * @param width   width in pixels
 * @param height  height in pixels
 * @param alpha   whether {@code samples} are RGBA (4 per pixel) rather than RGB (3)
 * @param samples row-major interleaved 8-bit samples, not premultiplied
 */
public record WebpImage(int width, int height, boolean alpha, byte[] samples) {}
