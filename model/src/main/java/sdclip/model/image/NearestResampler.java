package sdclip.model.image;

/**
 * Pillow's NEAREST resize ({@code ImagingScaleAffine}), used for palette and 1-bit images: the
 * source column of output column {@code x} is {@code (int) xo} where {@code xo} starts at
 * {@code scale / 2} and has {@code scale = in / out} added once per column (accumulated in double,
 * as Pillow does, not recomputed as {@code (x + 0.5) * scale}); rows likewise.
 */
final class NearestResampler {
    private NearestResampler() {}

    static byte[] resize(byte[] src, int width, int height, int channels, int newWidth, int newHeight) {
        int[] columns = sourcePositions(width, newWidth);
        int[] rows = sourcePositions(height, newHeight);
        byte[] dst = new byte[newWidth * newHeight * channels]; // zero where a position falls outside (Pillow's fill)
        for (int y = 0; y < newHeight; y++) {
            if (rows[y] < 0) continue;
            for (int x = 0; x < newWidth; x++) {
                if (columns[x] < 0) continue;
                System.arraycopy(
                        src, (rows[y] * width + columns[x]) * channels, dst, (y * newWidth + x) * channels, channels);
            }
        }
        return dst;
    }

    /** For each output position the source position, or -1 when it falls outside. */
    static int[] sourcePositions(int in, int out) {
        double scale = (double) in / out;
        double pos = scale * 0.5;
        int[] src = new int[out];
        for (int i = 0; i < out; i++) {
            int p = pos < 0 ? -1 : (int) pos;
            src[i] = p < in ? p : -1;
            pos += scale;
        }
        return src;
    }
}
