package sdclip.model.image.webp;

/**
 * Decodes an {@code ALPH} chunk (the alpha of a lossy image): a header byte, then the plane raw
 * or as the green channel of a headerless VP8L stream, then undoes the prediction filter
 * (none, horizontal, vertical or gradient). The pre-processing field is only a hint for
 * optional dithering, which libwebp's default decoding does not do.
 */
final class AlphaDecoder {
    private AlphaDecoder() {}

    static byte[] decode(byte[] data, int offset, int length, int width, int height) throws WebpException {
        if (length <= 1) throw new WebpException("its alpha (ALPH) chunk is empty");
        int head = data[offset] & 0xff;
        int method = head & 3, filter = (head >> 2) & 3, preprocessing = (head >> 4) & 3, reserved = head >> 6;
        if (method > 1 || preprocessing > 1 || reserved != 0)
            throw new WebpException("its alpha (ALPH) chunk has an invalid header");
        int n = width * height;
        byte[] alpha = new byte[n];
        if (method == 0) {
            if (length - 1 < n) throw new WebpException("its alpha (ALPH) chunk is truncated");
            System.arraycopy(data, offset + 1, alpha, 0, n);
        } else {
            int[] argb = Vp8lDecoder.decodeAlpha(data, offset + 1, length - 1, width, height);
            for (int i = 0; i < n; i++) alpha[i] = (byte) (argb[i] >> 8);
        }
        unfilter(alpha, width, height, filter);
        return alpha;
    }

    /** Undoes the filter in place; the first row is always predicted from the left (0 before it). */
    private static void unfilter(byte[] a, int w, int h, int filter) {
        if (filter == 0) return;
        for (int x = 1; x < w; x++) a[x] += a[x - 1];
        for (int y = 1; y < h; y++) {
            int row = y * w, up = row - w;
            switch (filter) {
                case 1 -> { // horizontal: the first pixel from above
                    a[row] += a[up];
                    for (int x = 1; x < w; x++) a[row + x] += a[row + x - 1];
                }
                case 2 -> { // vertical
                    for (int x = 0; x < w; x++) a[row + x] += a[up + x];
                }
                default -> { // gradient: left + top - top-left, clamped; the first pixel from above
                    a[row] += a[up];
                    for (int x = 1; x < w; x++) {
                        int g = (a[row + x - 1] & 0xff) + (a[up + x] & 0xff) - (a[up + x - 1] & 0xff);
                        a[row + x] += (byte) (g < 0 ? 0 : g > 255 ? 255 : g);
                    }
                }
            }
        }
    }
}
