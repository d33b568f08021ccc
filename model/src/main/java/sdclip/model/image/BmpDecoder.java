package sdclip.model.image;

/**
 * The BMPs the JDK's reader gets wrong or refuses, decoded as Pillow's {@code BmpImagePlugin}
 * does: OS/2 2.x headers (64 bytes, which the JDK does not read) and RLE4/RLE8 compression
 * (whose delta and odd absolute runs Pillow 9.4 decoded wrongly; this follows the fixed
 * decoder, Pillow pull requests 9443 and 9710). Everything else goes to the JDK's reader.
 *
 * <p>As Pillow: the palette follows the header; a palette of 2 entries black and white is mode
 * "1", a palette {@code (i, i, i)} is L, others P; an RLE run past the row's end is cut at it;
 * end-of-line pads the row with index 0, a delta {@code (dx, dy)} skips {@code dx + dy * width}
 * pixels (index 0); an absolute run of {@code n} pixels takes {@code ceil(n / 2)} bytes in RLE4
 * and is padded to an even file offset; data that ends before the last pixel is refused (Pillow:
 * "not enough image data").
 */
final class BmpDecoder {
    private BmpDecoder() {}

    /**
     * Whether this decoder, not the JDK's, reads the file.
     *
     * @param head at least the file's first 34 bytes
     * @return true for an OS/2 2.x header or RLE compression
     */
    static boolean handles(byte[] head) {
        if (head.length < 34 || head[0] != 'B' || head[1] != 'M') return false;
        long size = u32(head, 14), compression = u32(head, 30);
        return size == 64 || (size == 40 || size == 108 || size == 124) && (compression == 1 || compression == 2);
    }

    /**
     * Decodes a BMP that {@link #handles} accepts.
     *
     * @param name what messages call it
     * @param data the whole file
     * @return the image
     * @throws ImageException for what Pillow refuses, and for layouts it decodes wrongly or never sees
     */
    static DecodedImage decode(String name, byte[] data) {
        if (data.length < 54) throw corrupt(name, "the header is cut short");
        int headerSize = (int) u32(data, 14);
        long width = u32(data, 18), rawHeight = u32(data, 22);
        boolean topDown = (data[25] & 0xff) == 0xff; // Pillow: a negative height's top byte
        long height = topDown ? (1L << 32) - rawHeight : rawHeight;
        int bits = u16(data, 28);
        long compression = u32(data, 30), colors = u32(data, 46);
        ImageDecoder.checkSize(name, width, height);
        int w = (int) width, h = (int) height;
        int rle = compression == 1 ? 8 : compression == 2 ? 4 : 0;
        if (compression > 2)
            throw new ImageException(
                    name, "is a BMP with compression " + compression + " in an OS/2 header; unsupported");
        if (rle != 0 && bits != rle) throw corrupt(name, "RLE" + rle + " compression with " + bits + " bits per pixel");
        if (bits != 1 && bits != 4 && bits != 8 && bits != 24 && bits != 32)
            throw new ImageException(name, "is a BMP with " + bits + " bits per pixel in an OS/2 header; unsupported");
        long offset = u32(data, 10);
        if (bits > 8) {
            byte[] rgb = raw(name, data, offset, w, h, bits, topDown);
            return DecodedImage.of(w, h, PixelMode.RGB, rgb);
        }
        if (colors == 0) colors = 1L << bits;
        if (colors > 256) throw corrupt(name, "a palette of " + colors + " colours");
        int paletteAt = 14 + headerSize, n = (int) colors;
        if (offset == paletteAt) offset += 4L * n;
        int[] palette = new int[n];
        for (int i = 0; i < n; i++) {
            int at = paletteAt + 4 * i;
            if (at + 3 > data.length) throw corrupt(name, "the palette is cut short");
            palette[i] = (data[at + 2] & 0xff) << 16 | (data[at + 1] & 0xff) << 8 | (data[at] & 0xff);
        }
        byte[] indices = rle != 0
                ? rle(name, data, offset, w, h, rle == 4, topDown)
                : raw(name, data, offset, w, h, bits, topDown);
        if (n == 2 && palette[0] == 0 && palette[1] == 0xffffff) {
            if (bits != 1)
                throw new ImageException(name, "is a black-and-white " + bits + "-bit BMP, which Pillow misreads");
            for (int i = 0; i < indices.length; i++) indices[i] = (byte) (indices[i] == 0 ? 0 : 255);
            return DecodedImage.of(w, h, PixelMode.BILEVEL, indices);
        }
        boolean gray = true;
        for (int i = 0; i < n && gray; i++) gray = palette[i] == i * 0x010101;
        if (gray) {
            if (rle == 0 && bits != 8)
                throw new ImageException(name, "is a " + bits + "-bit gray BMP, which Pillow misreads");
            return DecodedImage.of(w, h, PixelMode.L, indices);
        }
        int[] full = new int[256];
        for (int i = 0; i < 256; i++) full[i] = i < n ? palette[i] : i * 0x010101;
        return DecodedImage.ofPalette(w, h, indices, full);
    }

    /** Uncompressed rows: palette indices (1, 4, 8 bits) or RGB from BGR / BGRX (24, 32 bits). */
    private static byte[] raw(String name, byte[] data, long offset, int w, int h, int bits, boolean topDown) {
        long stride = (((long) w * bits + 31) >> 3) & ~3L;
        if (offset + stride * h > data.length) throw new ImageException(name, "is truncated (BMP pixel data)");
        int ch = bits > 8 ? 3 : 1;
        byte[] out = new byte[w * h * ch];
        for (int y = 0; y < h; y++) {
            int row = (int) (offset + stride * (topDown ? y : h - 1 - y)), o = y * w * ch;
            for (int x = 0; x < w; x++) {
                switch (bits) {
                    case 1 -> out[o + x] = (byte) ((data[row + x / 8] >> (7 - x % 8)) & 1);
                    case 4 -> out[o + x] = (byte) ((data[row + x / 2] >> (x % 2 == 0 ? 4 : 0)) & 15);
                    case 8 -> out[o + x] = data[row + x];
                    default -> {
                        int p = row + x * (bits / 8);
                        out[o + 3 * x] = data[p + 2];
                        out[o + 3 * x + 1] = data[p + 1];
                        out[o + 3 * x + 2] = data[p];
                    }
                }
            }
        }
        return out;
    }

    /** RLE4 or RLE8 to one index per pixel, rows top first. */
    private static byte[] rle(String name, byte[] data, long offset, int w, int h, boolean four, boolean topDown) {
        long total = (long) w * h, pos = 0; // pos: pixels produced, in file row order
        byte[] out = new byte[(int) total];
        long at = offset;
        int x = 0;
        while (pos < total && at + 1 < data.length) {
            int count = data[(int) at] & 0xff, code = data[(int) at + 1] & 0xff;
            at += 2;
            if (count > 0) { // a run of one index (RLE8) or two alternating ones (RLE4), cut at the row's end
                count = Math.max(0, Math.min(count, w - x));
                for (int i = 0; i < count; i++) put(out, pos++, four ? (i % 2 == 0 ? code >> 4 : code & 15) : code);
                x += count;
            } else if (code == 0) { // end of line
                pos = (pos + w - 1) / w * w;
                x = 0;
            } else if (code == 1) { // end of bitmap
                break;
            } else if (code == 2) { // delta
                if (at + 1 >= data.length) break;
                pos += (data[(int) at] & 0xff) + (long) (data[(int) at + 1] & 0xff) * w;
                at += 2;
                x = (int) (pos % w);
            } else { // absolute: code literal pixels
                int bytes = four ? (code + 1) / 2 : code;
                int got = (int) Math.min(bytes, data.length - at);
                for (int i = 0; i < (four ? Math.min(code, 2 * got) : got); i++) {
                    int b = data[(int) at + (four ? i / 2 : i)] & 0xff;
                    put(out, pos++, four ? (i % 2 == 0 ? b >> 4 : b & 15) : b);
                }
                at += got;
                if (got < bytes) break;
                x += code;
                if (at % 2 != 0) at++; // to a 16-bit boundary of the file
            }
        }
        if (pos < total)
            throw new ImageException(
                    name, "is a corrupt BMP file: its RLE data ends after " + pos + " of " + total + " pixels");
        if (topDown) return out;
        byte[] flipped = new byte[out.length];
        for (int y = 0; y < h; y++) System.arraycopy(out, (h - 1 - y) * w, flipped, y * w, w);
        return flipped;
    }

    private static void put(byte[] out, long pos, int v) {
        if (pos < out.length) out[(int) pos] = (byte) v;
    }

    private static ImageException corrupt(String name, String what) {
        return new ImageException(name, "is a corrupt BMP file: " + what);
    }

    private static int u16(byte[] d, int at) {
        return (d[at] & 0xff) | (d[at + 1] & 0xff) << 8;
    }

    private static long u32(byte[] d, int at) {
        return u16(d, at) | (long) u16(d, at + 2) << 16;
    }
}
