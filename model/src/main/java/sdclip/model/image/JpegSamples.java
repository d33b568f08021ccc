package sdclip.model.image;

import java.awt.image.Raster;

/**
 * Turns the JDK's raw JPEG raster (components as stored, upsampled by its libjpeg 6b, no colour
 * conversion, no ICC profile) into the samples Pillow gets from libjpeg-turbo:
 *
 * <ul>
 * <li>a component sampled at half the height only (4:4:0) is upsampled again from its rows as
 * libjpeg-turbo's {@code h1v2_fancy_upsample} does (libjpeg 6b repeats each row instead); the
 * other layouts (4:2:0, 4:2:2, 4:1:1, 4:4:4) are upsampled identically by both;</li>
 * <li>the colour space is libjpeg's guess ({@code default_decompress_parms}): three components
 * are YCbCr, except RGB under an Adobe marker with transform 0, or, with neither a JFIF nor an
 * Adobe marker, when the components are named 'R', 'G', 'B'; four are CMYK, except YCCK under
 * an Adobe marker whose transform is not 0;</li>
 * <li>YCbCr becomes RGB and YCCK becomes CMYK with libjpeg's fixed-point tables
 * ({@code jdcolor.c}: 16 fractional bits, rounded);</li>
 * <li>CMYK is inverted: Pillow opens every 4-component JPEG with the raw mode {@code CMYK;I}
 * (Adobe's polarity, whatever the markers say).</li>
 * </ul>
 */
final class JpegSamples {
    private static final int[] CR_R = new int[256], CB_B = new int[256], CR_G = new int[256], CB_G = new int[256];

    static {
        for (int i = 0; i < 256; i++) {
            int x = i - 128;
            CR_R[i] = (fix(1.40200) * x + (1 << 15)) >> 16;
            CB_B[i] = (fix(1.77200) * x + (1 << 15)) >> 16;
            CR_G[i] = -fix(0.71414) * x;
            CB_G[i] = -fix(0.34414) * x + (1 << 15);
        }
    }

    private JpegSamples() {}

    /** libjpeg's FIX(x): {@code (int) (x * 65536 + 0.5)}. */
    private static int fix(double x) {
        return (int) (x * 65536 + 0.5);
    }

    /** The Pillow mode a JPEG with this many components opens in. */
    static PixelMode mode(JpegHeader header) {
        return switch (header.components()) {
            case 1 -> PixelMode.L;
            case 3 -> PixelMode.RGB;
            default -> PixelMode.CMYK;
        };
    }

    /**
     * Pillow's samples for the raster.
     *
     * @param raw    the raster as read with {@code ImageReader.readRaster} (one band per component)
     * @param header the file's frame and markers
     * @return interleaved samples in {@link #mode(JpegHeader)}
     */
    static byte[] of(Raster raw, JpegHeader header) {
        int w = raw.getWidth(), h = raw.getHeight(), n = header.components();
        byte[] s = RasterSamples.bytes(raw, n, RasterSamples.SampleMap.SAME);
        for (int c = 0; c < n; c++) {
            if (header.h()[c] == header.maxH() && header.v()[c] * 2 == header.maxV()) fancyRows(s, w, h, n, c);
        }
        if (n == 3 && !rgb(header)) yccToRgb(s, 3);
        if (n == 4) {
            if (header.adobeTransform() > 0) yccToRgb(s, 4); // YCCK: libjpeg's C, M, Y are 255 - R, G, B
            else for (int i = 0; i < s.length; i += 4) for (int c = 0; c < 3; c++) s[i + c] = (byte) ~s[i + c];
            for (int i = 3; i < s.length; i += 4) s[i] = (byte) ~s[i]; // K: Pillow's inversion
        }
        return s;
    }

    private static boolean rgb(JpegHeader header) {
        if (header.jfif()) return false;
        if (header.adobeTransform() >= 0) return header.adobeTransform() == 0;
        int[] id = header.ids();
        return id[0] == 'R' && id[1] == 'G' && id[2] == 'B';
    }

    /** Y, Cb, Cr in the first three of {@code stride} channels to R, G, B (libjpeg's ycc_rgb_convert). */
    private static void yccToRgb(byte[] s, int stride) {
        for (int i = 0; i < s.length; i += stride) {
            int y = s[i] & 0xff, cb = s[i + 1] & 0xff, cr = s[i + 2] & 0xff;
            s[i] = (byte) Math.clamp(y + CR_R[cr], 0, 255);
            s[i + 1] = (byte) Math.clamp(y + ((CB_G[cb] + CR_G[cr]) >> 16), 0, 255);
            s[i + 2] = (byte) Math.clamp(y + CB_B[cb], 0, 255);
        }
    }

    /**
     * Redoes the vertical 2x upsampling of component {@code c}: libjpeg 6b gave row {@code y} the
     * stored row {@code y / 2}; libjpeg-turbo blends the nearer stored row (3/4) with the next
     * nearer (1/4), rounding with bias 1 above and 2 below, the edge rows repeated.
     */
    private static void fancyRows(byte[] s, int w, int h, int n, int c) {
        int rows = (h + 1) / 2;
        int[] stored = new int[rows * w];
        for (int r = 0; r < rows; r++)
            for (int x = 0; x < w; x++) stored[r * w + x] = s[((2 * r) * w + x) * n + c] & 0xff;
        for (int y = 0; y < h; y++) {
            int r = y / 2,
                    other = y % 2 == 0 ? Math.max(r - 1, 0) : Math.min(r + 1, rows - 1),
                    bias = y % 2 == 0 ? 1 : 2;
            for (int x = 0; x < w; x++)
                s[(y * w + x) * n + c] = (byte) ((3 * stored[r * w + x] + stored[other * w + x] + bias) >> 2);
        }
    }
}
