package sdclip.model.image;

/**
 * The Exif orientation tag and Pillow's {@code ImageOps.exif_transpose}: orientation 2 flips
 * left-right, 3 rotates 180 degrees, 4 flips top-bottom, 5 transposes, 6 rotates 270 degrees
 * (counter-clockwise), 7 transverses, 8 rotates 90 degrees; 1, a missing tag and any other value
 * leave the image as it is.
 */
final class ExifOrientation {
    private ExifOrientation() {}

    /**
     * The orientation in IFD0 of a TIFF structure (an Exif segment after its {@code Exif\0\0}),
     * as Pillow reads it: an integer tag 0x0112 with one value; 0 when absent or unreadable.
     *
     * @param data the segment
     * @param tiff where the TIFF header starts in it
     * @return the orientation, or 0
     */
    static int parse(byte[] data, int tiff) {
        if (data.length < tiff + 8) return 0;
        boolean little;
        if (data[tiff] == 'I' && data[tiff + 1] == 'I') little = true;
        else if (data[tiff] == 'M' && data[tiff + 1] == 'M') little = false;
        else return 0;
        if (u16(data, tiff + 2, little) != 42) return 0;
        long ifd = u32(data, tiff + 4, little);
        if (ifd < 8 || tiff + ifd + 2 > data.length) return 0;
        int at = (int) (tiff + ifd), count = u16(data, at, little);
        for (int i = 0; i < count && at + 2 + 12 * (i + 1) <= data.length; i++) {
            int e = at + 2 + 12 * i;
            if (u16(data, e, little) != 0x0112) continue;
            int type = u16(data, e + 2, little);
            if (u32(data, e + 4, little) != 1) return 0; // several values: Pillow gets a tuple and does nothing
            long value = switch (type) {
                case 1 -> data[e + 8] & 0xff; // BYTE
                case 3 -> u16(data, e + 8, little); // SHORT
                case 4 -> u32(data, e + 8, little); // LONG
                default -> 0;
            };
            return value >= 1 && value <= 8 ? (int) value : 0;
        }
        return 0;
    }

    /**
     * The image as {@code exif_transpose} leaves it.
     *
     * @param image       the decoded image, any mode
     * @param orientation the Exif orientation (0 or 1 for none)
     * @return the transposed image, or the same instance when there is nothing to do
     */
    static DecodedImage apply(DecodedImage image, int orientation) {
        if (orientation < 2 || orientation > 8) return image;
        int w = image.width(), h = image.height(), ch = image.channels();
        boolean swap = orientation >= 5; // 5 to 8 exchange the axes
        int outW = swap ? h : w, outH = swap ? w : h;
        byte[] src = image.samples(), dst = src == null ? null : new byte[src.length];
        int[] wideSrc = image.wideSamples(), wideDst = wideSrc == null ? null : new int[wideSrc.length];
        for (int y = 0; y < outH; y++) {
            for (int x = 0; x < outW; x++) {
                // (sx, sy): the source pixel that lands at (x, y).
                int sx, sy;
                switch (orientation) {
                    case 2 -> {
                        sx = w - 1 - x;
                        sy = y;
                    }
                    case 3 -> {
                        sx = w - 1 - x;
                        sy = h - 1 - y;
                    }
                    case 4 -> {
                        sx = x;
                        sy = h - 1 - y;
                    }
                    case 5 -> {
                        sx = y;
                        sy = x;
                    }
                    case 6 -> {
                        sx = y;
                        sy = h - 1 - x;
                    }
                    case 7 -> {
                        sx = w - 1 - y;
                        sy = h - 1 - x;
                    }
                    default -> {
                        sx = w - 1 - y;
                        sy = x;
                    }
                }
                int from = sy * w + sx, to = y * outW + x;
                if (dst != null) System.arraycopy(src, from * ch, dst, to * ch, ch);
                else wideDst[to] = wideSrc[from];
            }
        }
        return image.withPixels(outW, outH, dst, wideDst);
    }

    private static int u16(byte[] d, int at, boolean little) {
        int a = d[at] & 0xff, b = d[at + 1] & 0xff;
        return little ? b << 8 | a : a << 8 | b;
    }

    private static long u32(byte[] d, int at, boolean little) {
        long a = u16(d, at, little), b = u16(d, at + 2, little);
        return little ? b << 16 | a : a << 16 | b;
    }
}
