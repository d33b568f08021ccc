package sdclip.model.image;

import java.awt.image.IndexColorModel;
import java.awt.image.Raster;

/** Raw samples out of a decoded {@link Raster}, with no colour conversion. */
final class RasterSamples {
    private RasterSamples() {}

    /** The first {@code bands} bands, interleaved, each sample mapped to 8 bits by {@code to8}. */
    static byte[] bytes(Raster r, int bands, SampleMap to8) {
        int w = r.getWidth(), h = r.getHeight(), all = r.getNumBands();
        byte[] out = new byte[w * h * bands];
        int[] row = new int[w * all];
        for (int y = 0; y < h; y++) {
            r.getPixels(r.getMinX(), r.getMinY() + y, w, 1, row);
            for (int x = 0; x < w; x++) {
                for (int b = 0; b < bands; b++) out[(y * w + x) * bands + b] = (byte) to8.map(b, row[x * all + b]);
            }
        }
        return out;
    }

    /** Band 0 as integers, unchanged. */
    static int[] ints(Raster r) {
        int w = r.getWidth(), h = r.getHeight();
        int[] out = new int[w * h];
        r.getSamples(r.getMinX(), r.getMinY(), w, h, 0, out);
        return out;
    }

    /**
     * The palette as 256 packed RGB entries: the first {@code entries} from the colour model, the
     * rest a gray ramp {@code (i, i, i)} as in a fresh Pillow palette.
     */
    static int[] palette(IndexColorModel cm, int entries) {
        int[] out = new int[256];
        for (int i = 0; i < 256; i++)
            out[i] = i < Math.min(entries, cm.getMapSize()) ? cm.getRGB(i) & 0xffffff : i * 0x010101;
        return out;
    }

    /** True when entry i is (i, i, i) for each of the first {@code entries} (Pillow then drops the palette). */
    static boolean isGrayRamp(IndexColorModel cm, int entries) {
        for (int i = 0; i < entries; i++) if ((cm.getRGB(i) & 0xffffff) != i * 0x010101) return false;
        return true;
    }

    /** Maps a band's raw sample to 0..255. */
    @FunctionalInterface
    interface SampleMap {
        int map(int band, int sample);

        SampleMap SAME = (b, v) -> v;
        SampleMap HIGH_BYTE = (b, v) -> v >> 8;

        /** Pillow's scaling of n-bit samples: {@code v * 255 / (2^n - 1)}, truncated. */
        static SampleMap scaled(int[] bitsPerBand) {
            return (b, v) -> bitsPerBand[b] == 8 ? v : v * 255 / ((1 << bitsPerBand[b]) - 1);
        }
    }
}
