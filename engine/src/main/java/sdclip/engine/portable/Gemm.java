package sdclip.engine.portable;

import java.util.Arrays;

/**
 * {@code y = x W^T + b} over {@link PackedPanels}, in loops C2 auto-vectorizes. What C2 (JDK 25)
 * needs, found by reading its machine code: the inner loop must index every array with the
 * same expression ({@code [j]}; two arrays at different offsets might be one array, and then C2
 * keeps the loop scalar), and it must run long enough: at 64 iterations C2 used 4-float
 * vectors, at 256 full AVX-512 ones. So a panel is {@code NR} = 256 outputs, the widened weight
 * block is one array per input, the output tile one array per row, and the micro-kernel takes
 * 4 rows and 4 inputs per sweep over the 256 columns (16 FMAs for 4 weight loads and 4 tile
 * loads and stores). Each output sums as the Vector API backend's does, bias first and then one
 * FMA per input in order, so the two agree bit for bit.
 */
final class Gemm {
    private Gemm() {}

    /** Outputs per panel: the inner loops' trip count. */
    static final int NR = 256;
    /** Inputs per block: a widened panel block (KC x NR floats, 32 KB) stays in L1. */
    static final int KC = 32;

    /** Per-worker scratch, grown on demand and then reused. */
    static final class Scratch {
        /** The current panel block, one array of NR floats per input. */
        final float[][] block = new float[KC][NR];

        final short[] bits = new short[KC * NR];
        /** A quantized panel block, dequantized as [k][NR] before it is split into {@link #block}'s arrays. */
        final float[] flat = new float[KC * NR];

        final sdclip.engine.support.QuantPanels.Scratch quant = new sdclip.engine.support.QuantPanels.Scratch();
        /** The output tile, one array of NR floats per row. */
        float[][] tile = new float[0][];

        float[] scores = new float[0], values = new float[0], sums = new float[0];
        float[][] keys = new float[0][], valueRows = new float[0][];
        int[] packRow = new int[0], packPanel = new int[0];

        float[][] tile(int rows) {
            if (tile.length < rows) {
                float[][] t = Arrays.copyOf(tile, rows);
                for (int r = tile.length; r < rows; r++) t[r] = new float[NR];
                tile = t;
            }
            return tile;
        }

        /** The head's keys, {@code dims} arrays of at least {@code length} floats. */
        float[][] keys(int dims, int length) {
            return keys = grow(keys, dims, length);
        }

        /** The head's values, {@code count} arrays of at least {@code length} floats. */
        float[][] valueRows(int count, int length) {
            return valueRows = grow(valueRows, count, length);
        }

        private static float[][] grow(float[][] a, int count, int length) {
            if (a.length >= count && (count == 0 || a[0].length >= length)) return a;
            return new float[Math.max(count, a.length)][Math.max(length, a.length == 0 ? 0 : a[0].length)];
        }

        float[] scores(int size) {
            return scores.length >= size ? scores : (scores = new float[size]);
        }

        float[] values(int size) {
            return values.length >= size ? values : (values = new float[size]);
        }

        float[] sums(int size) {
            return sums.length >= size ? sums : (sums = new float[size]);
        }

        int[] packRow(int in) {
            return packRow.length >= in ? packRow : (packRow = new int[in]);
        }

        int[] packPanel(int in) {
            return packPanel.length >= in * NR ? packPanel : (packPanel = new int[in * NR]);
        }
    }

    /**
     * Panel {@code p} of rows {@code [r0, r1)} of {@code y[rows, out]}: the tile starts as the
     * bias, each block of KC inputs is widened once and swept over every row, and the tile is
     * copied into {@code y} at the end.
     */
    static void panel(PackedPanels w, int p, int r0, int r1, float[] x, float[] y, Scratch s) {
        int in = w.in, n0 = p * NR, rows = r1 - r0;
        float[][] c = s.tile(rows);
        for (int m = 0; m < rows; m++) System.arraycopy(w.bias, n0, c[m], 0, NR);
        for (int k0 = 0; k0 < in; k0 += KC) {
            int kc = Math.min(KC, in - k0);
            w.block(p, k0, kc, s.block, s);
            int m = 0;
            for (; m + 4 <= rows; m += 4)
                kernel4(x, (r0 + m) * in + k0, in, s.block, kc, c[m], c[m + 1], c[m + 2], c[m + 3]);
            for (; m < rows; m++) kernel1(x, (r0 + m) * in + k0, s.block, kc, c[m]);
        }
        int valid = Math.min(NR, w.out - n0);
        for (int m = 0; m < rows; m++) System.arraycopy(c[m], 0, y, (r0 + m) * w.out + n0, valid);
    }

    /** Four rows of x (from {@code a0}, stride {@code in}) times the block, into tile rows c0..c3. */
    private static void kernel4(
            float[] x, int a0, int in, float[][] b, int kc, float[] c0, float[] c1, float[] c2, float[] c3) {
        int a1 = a0 + in, a2 = a1 + in, a3 = a2 + in, k = 0;
        for (; k + 4 <= kc; k += 4) {
            sweep4x4(
                    c0,
                    c1,
                    c2,
                    c3,
                    b[k],
                    b[k + 1],
                    b[k + 2],
                    b[k + 3],
                    x[a0 + k],
                    x[a0 + k + 1],
                    x[a0 + k + 2],
                    x[a0 + k + 3],
                    x[a1 + k],
                    x[a1 + k + 1],
                    x[a1 + k + 2],
                    x[a1 + k + 3],
                    x[a2 + k],
                    x[a2 + k + 1],
                    x[a2 + k + 2],
                    x[a2 + k + 3],
                    x[a3 + k],
                    x[a3 + k + 1],
                    x[a3 + k + 2],
                    x[a3 + k + 3]);
        }
        for (; k < kc; k++) sweep4x1(c0, c1, c2, c3, b[k], x[a0 + k], x[a1 + k], x[a2 + k], x[a3 + k]);
    }

    /** One row: as {@link #kernel4}, for the last rows. */
    private static void kernel1(float[] x, int a0, float[][] b, int kc, float[] c) {
        int k = 0;
        for (; k + 4 <= kc; k += 4)
            sweep1x4(c, b[k], b[k + 1], b[k + 2], b[k + 3], x[a0 + k], x[a0 + k + 1], x[a0 + k + 2], x[a0 + k + 3]);
        for (; k < kc; k++) {
            float[] w = b[k];
            float v = x[a0 + k];
            for (int j = 0; j < c.length; j++) c[j] = Math.fma(v, w[j], c[j]);
        }
    }

    private static void sweep4x4(
            float[] c0,
            float[] c1,
            float[] c2,
            float[] c3,
            float[] b0,
            float[] b1,
            float[] b2,
            float[] b3,
            float x00,
            float x01,
            float x02,
            float x03,
            float x10,
            float x11,
            float x12,
            float x13,
            float x20,
            float x21,
            float x22,
            float x23,
            float x30,
            float x31,
            float x32,
            float x33) {
        for (int j = 0; j < c0.length; j++) {
            float w0 = b0[j], w1 = b1[j], w2 = b2[j], w3 = b3[j];
            c0[j] = Math.fma(x03, w3, Math.fma(x02, w2, Math.fma(x01, w1, Math.fma(x00, w0, c0[j]))));
            c1[j] = Math.fma(x13, w3, Math.fma(x12, w2, Math.fma(x11, w1, Math.fma(x10, w0, c1[j]))));
            c2[j] = Math.fma(x23, w3, Math.fma(x22, w2, Math.fma(x21, w1, Math.fma(x20, w0, c2[j]))));
            c3[j] = Math.fma(x33, w3, Math.fma(x32, w2, Math.fma(x31, w1, Math.fma(x30, w0, c3[j]))));
        }
    }

    private static void sweep4x1(
            float[] c0, float[] c1, float[] c2, float[] c3, float[] b, float x0, float x1, float x2, float x3) {
        for (int j = 0; j < c0.length; j++) {
            float w = b[j];
            c0[j] = Math.fma(x0, w, c0[j]);
            c1[j] = Math.fma(x1, w, c1[j]);
            c2[j] = Math.fma(x2, w, c2[j]);
            c3[j] = Math.fma(x3, w, c3[j]);
        }
    }

    private static void sweep1x4(
            float[] c, float[] b0, float[] b1, float[] b2, float[] b3, float x0, float x1, float x2, float x3) {
        for (int j = 0; j < c.length; j++)
            c[j] = Math.fma(x3, b3[j], Math.fma(x2, b2[j], Math.fma(x1, b1[j], Math.fma(x0, b0[j], c[j]))));
    }
}
