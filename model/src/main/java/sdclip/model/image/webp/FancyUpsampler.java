package sdclip.model.image.webp;

/**
 * libwebp's default YUV 4:2:0 to RGB output: "fancy" upsampling of U and V (each output pixel
 * weighs its four nearest chroma samples 9:3:3:1, in two rounded steps) and the 14-bit
 * fixed-point BT.601 conversion of {@code src/dsp/yuv.h}. Row {@code y} takes its nearer chroma
 * row {@code y / 2} and its farther one {@code (y - 1) / 2} or {@code (y + 1) / 2}, clamped at
 * the edges, exactly as libwebp's line-pair upsampler does.
 */
final class FancyUpsampler {
    private FancyUpsampler() {}

    /** Writes the frame as RGB ({@code channels} 3) or RGBA with alpha left to the caller (4). */
    static void toRgb(Vp8Decoder.Frame f, byte[] out, int channels) {
        int w = f.width(), h = f.height(), uvRows = (h + 1) / 2;
        int[] nearU = new int[(w + 1) / 2], nearV = new int[nearU.length];
        int[] farU = new int[nearU.length], farV = new int[nearU.length];
        for (int y = 0; y < h; y++) {
            int near = y >> 1;
            int far = (y & 1) == 1 ? near + 1 : near - 1;
            far = Math.max(0, Math.min(uvRows - 1, far));
            load(f.u(), near * f.uvStride(), nearU);
            load(f.v(), near * f.uvStride(), nearV);
            load(f.u(), far * f.uvStride(), farU);
            load(f.v(), far * f.uvStride(), farV);
            row(f.y(), y * f.yStride(), nearU, nearV, farU, farV, w, out, y * w * channels, channels);
        }
    }

    private static void load(byte[] plane, int at, int[] dst) {
        for (int i = 0; i < dst.length; i++) dst[i] = plane[at + i] & 0xff;
    }

    private static void row(
            byte[] yPlane, int yAt, int[] nu, int[] nv, int[] fu, int[] fv, int len, byte[] out, int at, int step) {
        put(yPlane[yAt] & 0xff, (3 * nu[0] + fu[0] + 2) >> 2, (3 * nv[0] + fv[0] + 2) >> 2, out, at);
        int lastPair = (len - 1) >> 1;
        for (int x = 1; x <= lastPair; x++) {
            int avgU = nu[x - 1] + nu[x] + fu[x - 1] + fu[x] + 8, avgV = nv[x - 1] + nv[x] + fv[x - 1] + fv[x] + 8;
            // The two diagonals of the 2x2 chroma square: each pixel leans on its nearest sample.
            int dAu = (avgU + 2 * (nu[x] + fu[x - 1])) >> 3, dBu = (avgU + 2 * (nu[x - 1] + fu[x])) >> 3;
            int dAv = (avgV + 2 * (nv[x] + fv[x - 1])) >> 3, dBv = (avgV + 2 * (nv[x - 1] + fv[x])) >> 3;
            put(
                    yPlane[yAt + 2 * x - 1] & 0xff,
                    (dAu + nu[x - 1]) >> 1,
                    (dAv + nv[x - 1]) >> 1,
                    out,
                    at + (2 * x - 1) * step);
            put(yPlane[yAt + 2 * x] & 0xff, (dBu + nu[x]) >> 1, (dBv + nv[x]) >> 1, out, at + 2 * x * step);
        }
        if ((len & 1) == 0) {
            int l = lastPair;
            put(
                    yPlane[yAt + len - 1] & 0xff,
                    (3 * nu[l] + fu[l] + 2) >> 2,
                    (3 * nv[l] + fv[l] + 2) >> 2,
                    out,
                    at + (len - 1) * step);
        }
    }

    private static int mulHi(int v, int coeff) {
        return (v * coeff) >> 8;
    }

    /** Clamps a 6-bit fixed-point value to 0..255. */
    private static int clip8(int v) {
        return (v & ~16383) == 0 ? v >> 6 : v < 0 ? 0 : 255;
    }

    private static void put(int y, int u, int v, byte[] out, int at) {
        out[at] = (byte) clip8(mulHi(y, 19077) + mulHi(v, 26149) - 14234);
        out[at + 1] = (byte) clip8(mulHi(y, 19077) - mulHi(u, 6419) - mulHi(v, 13320) + 8708);
        out[at + 2] = (byte) clip8(mulHi(y, 19077) + mulHi(u, 33050) - 17685);
    }
}
