package sdclip.model.image;

/**
 * Pillow's conversions between straight and premultiplied alpha (RGBA to RGBa, LA to La and back),
 * in place on interleaved samples whose last channel is alpha.
 */
final class Premultiplied {
    private Premultiplied() {}

    /** {@code c' = c * a / 255} rounded as Pillow's MULDIV255: {@code t = c * a + 128; (t + (t >> 8)) >> 8}. */
    static void premultiply(byte[] s, int channels) {
        for (int p = 0; p < s.length; p += channels) {
            int a = s[p + channels - 1] & 0xff;
            for (int c = 0; c < channels - 1; c++) {
                int t = (s[p + c] & 0xff) * a + 128;
                s[p + c] = (byte) ((t + (t >> 8)) >> 8);
            }
        }
    }

    /** {@code c = min(255, 255 * c' / a)} (integer division); colours with alpha 0 or 255 stay as they are. */
    static void unpremultiply(byte[] s, int channels) {
        for (int p = 0; p < s.length; p += channels) {
            int a = s[p + channels - 1] & 0xff;
            if (a == 0 || a == 255) continue;
            for (int c = 0; c < channels - 1; c++) s[p + c] = (byte) Math.min(255, 255 * (s[p + c] & 0xff) / a);
        }
    }
}
