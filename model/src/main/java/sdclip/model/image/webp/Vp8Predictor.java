package sdclip.model.image.webp;

/**
 * VP8 intra prediction and inverse transforms (RFC 6386 sections 12 and 14), on a work buffer of
 * stride {@link #BPS} whose row above and column left of each block hold the edge pixels. All
 * integer, as libwebp computes them: its C versions are the reference this follows.
 */
final class Vp8Predictor {
    private Vp8Predictor() {}

    /** Work buffer stride. */
    static final int BPS = 32;

    /** 16x16 and chroma modes; DC gets variants for the frame's top and left edges. */
    static final int DC = 0, TM = 1, V = 2, H = 3, DC_NO_TOP = 4, DC_NO_LEFT = 5, DC_NO_TOP_LEFT = 6;

    /** 4x4 sub-block modes, in libwebp's order (the order of the mode probability table). */
    static final int B_DC = 0, B_TM = 1, B_VE = 2, B_HE = 3, B_RD = 4, B_VR = 5, B_LD = 6, B_VL = 7, B_HD = 8, B_HU = 9;

    private static int at(byte[] b, int i) {
        return b[i] & 0xff;
    }

    private static int clip(int v) {
        return v < 0 ? 0 : v > 255 ? 255 : v;
    }

    private static int avg3(int a, int b, int c) {
        return (a + 2 * b + c + 2) >> 2;
    }

    private static int avg2(int a, int b) {
        return (a + b + 1) >> 1;
    }

    private static void fill(byte[] b, int off, int size, int value) {
        for (int y = 0; y < size; y++) for (int x = 0; x < size; x++) b[off + y * BPS + x] = (byte) value;
    }

    /** A 16x16 luma ({@code size} 16) or 8x8 chroma ({@code size} 8) prediction. */
    static void predictBlock(byte[] b, int off, int size, int mode) {
        int shift = size == 16 ? 5 : 4;
        switch (mode) {
            case DC -> {
                int sum = size;
                for (int i = 0; i < size; i++) sum += at(b, off - BPS + i) + at(b, off - 1 + i * BPS);
                fill(b, off, size, sum >> shift);
            }
            case DC_NO_TOP -> {
                int sum = size >> 1;
                for (int i = 0; i < size; i++) sum += at(b, off - 1 + i * BPS);
                fill(b, off, size, sum >> (shift - 1));
            }
            case DC_NO_LEFT -> {
                int sum = size >> 1;
                for (int i = 0; i < size; i++) sum += at(b, off - BPS + i);
                fill(b, off, size, sum >> (shift - 1));
            }
            case DC_NO_TOP_LEFT -> fill(b, off, size, 0x80);
            case TM -> trueMotion(b, off, size);
            case V -> {
                for (int y = 0; y < size; y++) System.arraycopy(b, off - BPS, b, off + y * BPS, size);
            }
            case H -> {
                for (int y = 0; y < size; y++) {
                    byte left = b[off + y * BPS - 1];
                    for (int x = 0; x < size; x++) b[off + y * BPS + x] = left;
                }
            }
            default -> throw new IllegalArgumentException("mode " + mode);
        }
    }

    private static void trueMotion(byte[] b, int off, int size) {
        int topLeft = at(b, off - BPS - 1);
        for (int y = 0; y < size; y++) {
            int left = at(b, off + y * BPS - 1) - topLeft;
            for (int x = 0; x < size; x++) b[off + y * BPS + x] = (byte) clip(at(b, off - BPS + x) + left);
        }
    }

    /** A 4x4 sub-block prediction; the row above reaches 4 pixels to the right (the top-right). */
    static void predictSubblock(byte[] b, int off, int mode) {
        int t = off - BPS;
        int x0 = at(b, t - 1), a = at(b, t), bb = at(b, t + 1), c = at(b, t + 2), d = at(b, t + 3);
        int e = at(b, t + 4), f = at(b, t + 5), g = at(b, t + 6), h = at(b, t + 7);
        int i = at(b, off - 1), j = at(b, off - 1 + BPS), k = at(b, off - 1 + 2 * BPS), l = at(b, off - 1 + 3 * BPS);
        int[] p = new int[16]; // row-major 4x4 result
        switch (mode) {
            case B_DC -> {
                int dc = (a + bb + c + d + i + j + k + l + 4) >> 3;
                java.util.Arrays.fill(p, dc);
            }
            case B_TM -> {
                trueMotion(b, off, 4);
                return;
            }
            case B_VE -> {
                int[] v = {avg3(x0, a, bb), avg3(a, bb, c), avg3(bb, c, d), avg3(c, d, e)};
                for (int y = 0; y < 4; y++) System.arraycopy(v, 0, p, 4 * y, 4);
            }
            case B_HE -> {
                int[] v = {avg3(x0, i, j), avg3(i, j, k), avg3(j, k, l), avg3(k, l, l)};
                for (int y = 0; y < 4; y++) java.util.Arrays.fill(p, 4 * y, 4 * y + 4, v[y]);
            }
            case B_RD -> {
                // Diagonals down-right: p(x, y) depends on x - y.
                int[] edge = {
                    avg3(j, k, l),
                    avg3(i, j, k),
                    avg3(x0, i, j),
                    avg3(a, x0, i),
                    avg3(bb, a, x0),
                    avg3(c, bb, a),
                    avg3(d, c, bb)
                };
                for (int y = 0; y < 4; y++) for (int x = 0; x < 4; x++) p[4 * y + x] = edge[3 + x - y];
            }
            case B_LD -> {
                int[] edge = {
                    avg3(a, bb, c),
                    avg3(bb, c, d),
                    avg3(c, d, e),
                    avg3(d, e, f),
                    avg3(e, f, g),
                    avg3(f, g, h),
                    avg3(g, h, h)
                };
                for (int y = 0; y < 4; y++) for (int x = 0; x < 4; x++) p[4 * y + x] = edge[x + y];
            }
            case B_VR -> {
                set(p, avg2(x0, a), 0, 0, 1, 2);
                set(p, avg2(a, bb), 1, 0, 2, 2);
                set(p, avg2(bb, c), 2, 0, 3, 2);
                set(p, avg2(c, d), 3, 0);
                set(p, avg3(k, j, i), 0, 3);
                set(p, avg3(j, i, x0), 0, 2);
                set(p, avg3(i, x0, a), 0, 1, 1, 3);
                set(p, avg3(x0, a, bb), 1, 1, 2, 3);
                set(p, avg3(a, bb, c), 2, 1, 3, 3);
                set(p, avg3(bb, c, d), 3, 1);
            }
            case B_VL -> {
                set(p, avg2(a, bb), 0, 0);
                set(p, avg2(bb, c), 1, 0, 0, 2);
                set(p, avg2(c, d), 2, 0, 1, 2);
                set(p, avg2(d, e), 3, 0, 2, 2);
                set(p, avg3(a, bb, c), 0, 1);
                set(p, avg3(bb, c, d), 1, 1, 0, 3);
                set(p, avg3(c, d, e), 2, 1, 1, 3);
                set(p, avg3(d, e, f), 3, 1, 2, 3);
                set(p, avg3(e, f, g), 3, 2);
                set(p, avg3(f, g, h), 3, 3);
            }
            case B_HD -> {
                set(p, avg2(i, x0), 0, 0, 2, 1);
                set(p, avg2(j, i), 0, 1, 2, 2);
                set(p, avg2(k, j), 0, 2, 2, 3);
                set(p, avg2(l, k), 0, 3);
                set(p, avg3(a, bb, c), 3, 0);
                set(p, avg3(x0, a, bb), 2, 0);
                set(p, avg3(i, x0, a), 1, 0, 3, 1);
                set(p, avg3(j, i, x0), 1, 1, 3, 2);
                set(p, avg3(k, j, i), 1, 2, 3, 3);
                set(p, avg3(l, k, j), 1, 3);
            }
            case B_HU -> {
                set(p, avg2(i, j), 0, 0);
                set(p, avg2(j, k), 2, 0, 0, 1);
                set(p, avg2(k, l), 2, 1, 0, 2);
                set(p, avg3(i, j, k), 1, 0);
                set(p, avg3(j, k, l), 3, 0, 1, 1);
                set(p, avg3(k, l, l), 3, 1, 1, 2);
                set(p, l, 3, 2, 2, 2, 0, 3, 1, 3, 2, 3, 3, 3);
            }
            default -> throw new IllegalArgumentException("sub-block mode " + mode);
        }
        for (int y = 0; y < 4; y++) for (int x = 0; x < 4; x++) b[off + y * BPS + x] = (byte) p[4 * y + x];
    }

    /** Sets {@code value} at each (x, y) pair listed. */
    private static void set(int[] p, int value, int... xy) {
        for (int n = 0; n < xy.length; n += 2) p[4 * xy[n + 1] + xy[n]] = value;
    }

    private static int mul1(int a) { // a * sqrt(2) * cos(pi/8), in 16-bit fixed point
        return ((a * 20091) >> 16) + a;
    }

    private static int mul2(int a) { // a * sqrt(2) * sin(pi/8)
        return (a * 35468) >> 16;
    }

    /** Adds the inverse DCT of 16 coefficients (raster order, from {@code in[at]}) to a 4x4 block. */
    static void addInverseDct(short[] in, int at, byte[] b, int off) {
        int[] tmp = new int[16];
        for (int i = 0; i < 4; i++) { // vertical pass, column i
            int i0 = in[at + i], i4 = in[at + 4 + i], i8 = in[at + 8 + i], i12 = in[at + 12 + i];
            int a = i0 + i8, bb = i0 - i8;
            int c = mul2(i4) - mul1(i12), d = mul1(i4) + mul2(i12);
            tmp[4 * i] = a + d;
            tmp[4 * i + 1] = bb + c;
            tmp[4 * i + 2] = bb - c;
            tmp[4 * i + 3] = a - d;
        }
        for (int i = 0; i < 4; i++) { // horizontal pass, output row i
            int dc = tmp[i] + 4;
            int a = dc + tmp[8 + i], bb = dc - tmp[8 + i];
            int c = mul2(tmp[4 + i]) - mul1(tmp[12 + i]), d = mul1(tmp[4 + i]) + mul2(tmp[12 + i]);
            int row = off + i * BPS;
            b[row] = (byte) clip(at(b, row) + ((a + d) >> 3));
            b[row + 1] = (byte) clip(at(b, row + 1) + ((bb + c) >> 3));
            b[row + 2] = (byte) clip(at(b, row + 2) + ((bb - c) >> 3));
            b[row + 3] = (byte) clip(at(b, row + 3) + ((a - d) >> 3));
        }
    }

    /** The inverse Walsh-Hadamard transform of the Y2 block into the DC of each of 16 luma blocks. */
    static void inverseWht(short[] in, short[] out) {
        int[] tmp = new int[16];
        for (int i = 0; i < 4; i++) {
            int a0 = in[i] + in[12 + i], a1 = in[4 + i] + in[8 + i];
            int a2 = in[4 + i] - in[8 + i], a3 = in[i] - in[12 + i];
            tmp[i] = a0 + a1;
            tmp[8 + i] = a0 - a1;
            tmp[4 + i] = a3 + a2;
            tmp[12 + i] = a3 - a2;
        }
        for (int i = 0; i < 4; i++) {
            int dc = tmp[4 * i] + 3;
            int a0 = dc + tmp[4 * i + 3], a1 = tmp[4 * i + 1] + tmp[4 * i + 2];
            int a2 = tmp[4 * i + 1] - tmp[4 * i + 2], a3 = dc - tmp[4 * i + 3];
            out[(4 * i) * 16] = (short) ((a0 + a1) >> 3);
            out[(4 * i + 1) * 16] = (short) ((a3 + a2) >> 3);
            out[(4 * i + 2) * 16] = (short) ((a0 - a1) >> 3);
            out[(4 * i + 3) * 16] = (short) ((a3 - a2) >> 3);
        }
    }
}
