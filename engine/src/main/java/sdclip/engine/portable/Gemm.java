package sdclip.engine.portable;

/**
 * {@code y = x W^T + b} over {@link PackedPanels}, in loops C2 auto-vectorizes: every inner loop
 * runs over the {@code NR} = 64 columns of a panel, contiguous in both the widened weight block
 * and the output tile, with scalar activations broadcast. The micro-kernel takes 4 rows and 4
 * inputs per sweep (16 FMAs for 4 weight loads and 4 tile loads and stores), so the tile's
 * load/store traffic is shared by four FMAs. Each output still sums as the Vector API backend's
 * does, bias first and then one FMA per input in order, so the two agree bit for bit.
 */
final class Gemm {
    private Gemm() {}

    /** Outputs per panel: long enough that C2's vectorized main loop runs, on any vector width. */
    static final int NR = 64;
    /** Inputs per block: a widened panel block (KC x NR floats, 16 KB) stays in L1. */
    static final int KC = 64;
    /** Rows per micro-kernel call. */
    static final int MR = 4;

    /** Per-worker scratch, grown on demand and then reused. */
    static final class Scratch {
        final float[] block = new float[KC * NR];
        final short[] bits = new short[KC * NR];
        float[] tile = new float[0];
        float[] scores = new float[0];
        float[] keys = new float[0];
        float[] sums = new float[0];
        int[] packRow = new int[0], packPanel = new int[0];

        float[] tile(int size) { return tile.length >= size ? tile : (tile = new float[size]); }

        float[] scores(int size) { return scores.length >= size ? scores : (scores = new float[size]); }

        float[] keys(int size) { return keys.length >= size ? keys : (keys = new float[size]); }

        float[] sums(int size) { return sums.length >= size ? sums : (sums = new float[size]); }

        int[] packRow(int in) { return packRow.length >= in ? packRow : (packRow = new int[in]); }

        int[] packPanel(int in) { return packPanel.length >= in * NR ? packPanel : (packPanel = new int[in * NR]); }
    }

    /**
     * Panels {@code [p0, p1)} of {@code y[rows, out]}. K blocks are the outer loop, so one block
     * of the activations serves every panel of the run while it is in cache; each panel sums in
     * a contiguous [rows, NR] tile, copied into {@code y} at the end.
     */
    static void panels(PackedPanels w, int p0, int p1, float[] x, int rows, float[] y, Scratch s) {
        int in = w.in, tileSize = rows * NR;
        float[] c = s.tile((p1 - p0) * tileSize);
        for (int p = p0; p < p1; p++) {
            int t0 = (p - p0) * tileSize;
            for (int m = 0; m < rows; m++) System.arraycopy(w.bias, p * NR, c, t0 + m * NR, NR);
        }
        for (int k0 = 0; k0 < in; k0 += KC) {
            int kc = Math.min(KC, in - k0);
            for (int p = p0; p < p1; p++) {
                w.block(p, k0, kc, s.block, s.bits);
                int t0 = (p - p0) * tileSize, m = 0;
                for (; m + MR <= rows; m += MR) kernel4(x, m * in + k0, in, s.block, kc, c, t0 + m * NR);
                for (; m < rows; m++) kernel1(x, m * in + k0, s.block, kc, c, t0 + m * NR);
            }
        }
        for (int p = p0; p < p1; p++) {
            int n0 = p * NR, t0 = (p - p0) * tileSize, valid = Math.min(NR, w.out - n0);
            for (int m = 0; m < rows; m++) System.arraycopy(c, t0 + m * NR, y, m * w.out + n0, valid);
        }
    }

    /** Four rows of x (stride {@code in}, from {@code a0}) times the block, into four tile rows from {@code c0}. */
    private static void kernel4(float[] x, int a0, int in, float[] b, int kc, float[] c, int c0) {
        int a1 = a0 + in, a2 = a1 + in, a3 = a2 + in;
        int c1 = c0 + NR, c2 = c1 + NR, c3 = c2 + NR;
        int k = 0;
        for (; k + 4 <= kc; k += 4) {
            float x00 = x[a0 + k], x01 = x[a0 + k + 1], x02 = x[a0 + k + 2], x03 = x[a0 + k + 3];
            float x10 = x[a1 + k], x11 = x[a1 + k + 1], x12 = x[a1 + k + 2], x13 = x[a1 + k + 3];
            float x20 = x[a2 + k], x21 = x[a2 + k + 1], x22 = x[a2 + k + 2], x23 = x[a2 + k + 3];
            float x30 = x[a3 + k], x31 = x[a3 + k + 1], x32 = x[a3 + k + 2], x33 = x[a3 + k + 3];
            int b0 = k * NR, b1 = b0 + NR, b2 = b1 + NR, b3 = b2 + NR;
            for (int j = 0; j < NR; j++) {
                float w0 = b[b0 + j], w1 = b[b1 + j], w2 = b[b2 + j], w3 = b[b3 + j];
                c[c0 + j] = Math.fma(x03, w3, Math.fma(x02, w2, Math.fma(x01, w1, Math.fma(x00, w0, c[c0 + j]))));
                c[c1 + j] = Math.fma(x13, w3, Math.fma(x12, w2, Math.fma(x11, w1, Math.fma(x10, w0, c[c1 + j]))));
                c[c2 + j] = Math.fma(x23, w3, Math.fma(x22, w2, Math.fma(x21, w1, Math.fma(x20, w0, c[c2 + j]))));
                c[c3 + j] = Math.fma(x33, w3, Math.fma(x32, w2, Math.fma(x31, w1, Math.fma(x30, w0, c[c3 + j]))));
            }
        }
        for (; k < kc; k++) {
            float v0 = x[a0 + k], v1 = x[a1 + k], v2 = x[a2 + k], v3 = x[a3 + k];
            int bk = k * NR;
            for (int j = 0; j < NR; j++) {
                float w = b[bk + j];
                c[c0 + j] = Math.fma(v0, w, c[c0 + j]);
                c[c1 + j] = Math.fma(v1, w, c[c1 + j]);
                c[c2 + j] = Math.fma(v2, w, c[c2 + j]);
                c[c3 + j] = Math.fma(v3, w, c[c3 + j]);
            }
        }
    }

    /** One row: as {@link #kernel4}, for the last rows of a batch. */
    private static void kernel1(float[] x, int a0, float[] b, int kc, float[] c, int c0) {
        int k = 0;
        for (; k + 4 <= kc; k += 4) {
            float x0 = x[a0 + k], x1 = x[a0 + k + 1], x2 = x[a0 + k + 2], x3 = x[a0 + k + 3];
            int b0 = k * NR, b1 = b0 + NR, b2 = b1 + NR, b3 = b2 + NR;
            for (int j = 0; j < NR; j++) {
                c[c0 + j] = Math.fma(x3, b[b3 + j], Math.fma(x2, b[b2 + j], Math.fma(x1, b[b1 + j], Math.fma(x0, b[b0 + j], c[c0 + j]))));
            }
        }
        for (; k < kc; k++) {
            float v = x[a0 + k];
            int bk = k * NR;
            for (int j = 0; j < NR; j++) c[c0 + j] = Math.fma(v, b[bk + j], c[c0 + j]);
        }
    }
}
