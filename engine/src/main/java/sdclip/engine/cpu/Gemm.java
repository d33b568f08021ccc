package sdclip.engine.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import sdclip.engine.BF16Weights;
import sdclip.engine.DType;
import sdclip.engine.F16Weights;
import sdclip.engine.support.QuantPanels;

/**
 * {@code y = x W^T + b} over a {@link PackedLinear}. The activations are first packed into
 * blocks of {@code MR} = 12 rows laid out {@code [k][12]} (zero rows pad the last block), shared
 * read-only by every thread. One task is a run of adjacent weight panels of {@code NR} = 2
 * vectors each. For each block of {@code KC} inputs, each panel's block is copied (F32),
 * widened (F16, BF16) or dequantized ({@link QuantBlocks}) into a per-thread array, then a 12-row x 2-vector micro-kernel
 * (24 accumulators; each step loads two weight vectors and broadcasts twelve activations)
 * sweeps every row block over it, accumulating into a per-thread [rows, NR] tile per panel.
 * Measured on AVX-512 this shape reaches about 85% of the FMA peak in isolation, against about
 * 55% for 4 x 3; with 16 registers (AVX2) three 4-row calls do instead (see {@link #REGISTERS}).
 */
final class Gemm {
    private Gemm() {}

    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int L = S.length();
    /** Outputs per panel: two vectors. */
    static final int NR = 2 * L;
    /** Rows per packed activation block and micro-kernel call. */
    static final int MR = 12;
    /** Inputs per block: one panel block (KC x NR floats) stays in L1. */
    static final int KC = Integer.getInteger("sdclip.gemm.kc", 256);
    /**
     * The vector registers the kernels are shaped for: 32 where vectors are 16 floats (AVX-512),
     * else 16 (AVX2; {@code -Dsdclip.cpu.registers=N} overrides: 32 for any N of at least 32, else
     * 16). With 32 the GEMM runs 12-row
     * micro-kernels; with 16, 4-row ones, three per packed block: C2 loads every broadcast of a
     * K step ahead, so a 12-, 6- or 5-row kernel runs out of registers and keeps an accumulator
     * on the stack, and that accumulator's load-FMA-store chain paces the whole loop (about 40
     * GFLOP/s per core on Zen 3 for all three); 4 rows (8 accumulators, 2 weights, 4
     * broadcasts) fit, at 80-90 (see benchmarks/README.md). The attention's 4 x 4 blocks measured
     * faster than 4 x 2 ones even so, and stay.
     */
    static final int REGISTERS = Integer.getInteger("sdclip.cpu.registers", L >= 16 ? 32 : 16) >= 32 ? 32 : 16;

    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Per-worker scratch, grown on demand and then reused. */
    static final class Scratch {
        /** The current panel block as F32. A heap array: the kernel's loads from a MemorySegment measured 35% slower. */
        final float[] block = new float[KC * NR];

        final short[] bits = new short[KC * NR];
        final QuantPanels.Scratch quant = new QuantPanels.Scratch();
        float[] tile = new float[0];
        float[] scores = new float[0];
        float[] keys = new float[0];
        final Attention.Head head = new Attention.Head();

        float[] tile(int size) {
            if (tile.length < size) tile = new float[size];
            return tile;
        }

        float[] scores(int size) {
            if (scores.length < size) scores = new float[size];
            return scores;
        }

        float[] keys(int size) {
            if (keys.length < size) keys = new float[size];
            return keys;
        }

        // Buffers for packing weights at load; sized to the widest input seen.
        private short[] packRow = new short[0], packPanel = new short[0];
        private int[] packRowWords = new int[0], packPanelWords = new int[0];

        short[] packRow(int in) {
            return packRow.length >= in ? packRow : (packRow = new short[in]);
        }

        short[] packPanel(int in) {
            return packPanel.length >= in * NR ? packPanel : (packPanel = new short[in * NR]);
        }

        int[] packRowWords(int in) {
            return packRowWords.length >= in ? packRowWords : (packRowWords = new int[in]);
        }

        int[] packPanelWords(int in) {
            return packPanelWords.length >= in * NR ? packPanelWords : (packPanelWords = new int[in * NR]);
        }
    }

    /** Floats the {@link #packBlock} blocks need for {@code rows} rows of {@code in} inputs. */
    static int packedSize(int rows, int in) {
        return blocks(rows) * MR * in;
    }

    /** Row blocks of {@code rows} rows: the number of {@link #packBlock} calls. */
    static int blocks(int rows) {
        return (rows + MR - 1) / MR;
    }

    /** Rows {@code [blk*MR, blk*MR + MR)} of x[rows, in] into a, laid out [k][MR], zero-padded. Blocks are independent. */
    static void packBlock(float[] x, int rows, int in, float[] a, int blk) {
        int base = blk * MR * in;
        for (int r = 0; r < MR; r++) {
            int row = blk * MR + r;
            if (row < rows) {
                int src = row * in;
                for (int k = 0; k < in; k++) a[base + k * MR + r] = x[src + k];
            } else {
                for (int k = 0; k < in; k++) a[base + k * MR + r] = 0f;
            }
        }
    }

    /**
     * Computes panels {@code [p0, p1)} of {@code y[rows, out]} from the packed activations
     * {@code a}. K blocks are the outer loop so one K block of the activations serves every panel
     * of the run while it is in L2. Each panel accumulates in a contiguous [rows, NR] tile that is
     * copied out at the end: writing straight into {@code y} measured up to 20% slower, since
     * with 3072 outputs the row stride is a multiple of 4 KB and a tile's twelve rows fight over
     * the same L1 sets. {@code registers} picks the micro-kernel (see {@link #REGISTERS}).
     */
    static void panels(PackedLinear w, int p0, int p1, float[] a, int rows, float[] y, Scratch s, int registers) {
        // Tiles hold whole row blocks: the kernels write their padding rows too, never copied out.
        int in = w.in, tileSize = blocks(rows) * MR * NR;
        float[] c = s.tile((p1 - p0) * tileSize);
        for (int k0 = 0; k0 < in; k0 += KC) {
            int kc = Math.min(KC, in - k0);
            boolean first = k0 == 0;
            for (int p = p0; p < p1; p++) {
                int n0 = p * NR, t0 = (p - p0) * tileSize;
                float[] b = block(w, p, k0, kc, s);
                for (int m = 0; m < rows; m += MR) {
                    int a0 = m * in + k0 * MR;
                    if (registers == 32 && rows - m > 4) {
                        kernel12(a, a0, b, kc, c, t0 + m * NR, first, w.bias, n0);
                    } else {
                        for (int r = 0; r < MR && m + r < rows; r += 4)
                            kernel4(a, a0 + r, b, kc, c, t0 + (m + r) * NR, first, w.bias, n0);
                    }
                }
            }
        }
        for (int p = p0; p < p1; p++) {
            int n0 = p * NR, t0 = (p - p0) * tileSize, valid = Math.min(NR, w.out - n0);
            for (int m = 0; m < rows; m++) System.arraycopy(c, t0 + m * NR, y, m * w.out + n0, valid);
        }
    }

    /** Panel block rows {@code [k0, k0 + kc)} as F32 in {@code s.block}: copied, widened from F16/BF16, or dequantized. */
    private static float[] block(PackedLinear w, int p, int k0, int kc, Scratch s) {
        if (w.dtype.quantized()) {
            QuantBlocks.block(w, p, k0, kc, s.block, s.quant);
            return s.block;
        }
        long start = ((long) p * w.in + k0) * NR;
        int count = kc * NR;
        if (w.dtype == DType.F32) {
            MemorySegment.copy(w.packed, F32, start * 4, s.block, 0, count);
        } else {
            MemorySegment.copy(w.packed, I16, start * 2, s.bits, 0, count);
            if (w.dtype == DType.F16) F16Weights.widen(s.bits, 0, s.block, 0, count);
            else BF16Weights.widen(s.bits, 0, s.block, 0, count);
        }
        return s.block;
    }

    /** 12 rows x 2 vectors: 24 accumulators; A is packed [k][MR], B is the panel block [k][NR], C a tile of NR-float rows. */
    private static void kernel12(
            float[] a, int a0, float[] b, int kc, float[] c, int c0, boolean first, float[] bias, int n0) {
        FloatVector c00,
                c01,
                c10,
                c11,
                c20,
                c21,
                c30,
                c31,
                c40,
                c41,
                c50,
                c51,
                c60,
                c61,
                c70,
                c71,
                c80,
                c81,
                c90,
                c91,
                c100,
                c101,
                c110,
                c111;
        if (first) {
            FloatVector v0 = FloatVector.fromArray(S, bias, n0), v1 = FloatVector.fromArray(S, bias, n0 + L);
            c00 = v0;
            c01 = v1;
            c10 = v0;
            c11 = v1;
            c20 = v0;
            c21 = v1;
            c30 = v0;
            c31 = v1;
            c40 = v0;
            c41 = v1;
            c50 = v0;
            c51 = v1;
            c60 = v0;
            c61 = v1;
            c70 = v0;
            c71 = v1;
            c80 = v0;
            c81 = v1;
            c90 = v0;
            c91 = v1;
            c100 = v0;
            c101 = v1;
            c110 = v0;
            c111 = v1;
        } else {
            c00 = FloatVector.fromArray(S, c, c0 + 0 * NR);
            c01 = FloatVector.fromArray(S, c, c0 + 0 * NR + L);
            c10 = FloatVector.fromArray(S, c, c0 + 1 * NR);
            c11 = FloatVector.fromArray(S, c, c0 + 1 * NR + L);
            c20 = FloatVector.fromArray(S, c, c0 + 2 * NR);
            c21 = FloatVector.fromArray(S, c, c0 + 2 * NR + L);
            c30 = FloatVector.fromArray(S, c, c0 + 3 * NR);
            c31 = FloatVector.fromArray(S, c, c0 + 3 * NR + L);
            c40 = FloatVector.fromArray(S, c, c0 + 4 * NR);
            c41 = FloatVector.fromArray(S, c, c0 + 4 * NR + L);
            c50 = FloatVector.fromArray(S, c, c0 + 5 * NR);
            c51 = FloatVector.fromArray(S, c, c0 + 5 * NR + L);
            c60 = FloatVector.fromArray(S, c, c0 + 6 * NR);
            c61 = FloatVector.fromArray(S, c, c0 + 6 * NR + L);
            c70 = FloatVector.fromArray(S, c, c0 + 7 * NR);
            c71 = FloatVector.fromArray(S, c, c0 + 7 * NR + L);
            c80 = FloatVector.fromArray(S, c, c0 + 8 * NR);
            c81 = FloatVector.fromArray(S, c, c0 + 8 * NR + L);
            c90 = FloatVector.fromArray(S, c, c0 + 9 * NR);
            c91 = FloatVector.fromArray(S, c, c0 + 9 * NR + L);
            c100 = FloatVector.fromArray(S, c, c0 + 10 * NR);
            c101 = FloatVector.fromArray(S, c, c0 + 10 * NR + L);
            c110 = FloatVector.fromArray(S, c, c0 + 11 * NR);
            c111 = FloatVector.fromArray(S, c, c0 + 11 * NR + L);
        }
        for (int k = 0; k < kc; k++) {
            int bk = k * NR;
            int ak = a0 + k * MR;
            FloatVector w0 = FloatVector.fromArray(S, b, bk), w1 = FloatVector.fromArray(S, b, bk + L);
            FloatVector x;
            x = FloatVector.broadcast(S, a[ak + 0]);
            c00 = w0.fma(x, c00);
            c01 = w1.fma(x, c01);
            x = FloatVector.broadcast(S, a[ak + 1]);
            c10 = w0.fma(x, c10);
            c11 = w1.fma(x, c11);
            x = FloatVector.broadcast(S, a[ak + 2]);
            c20 = w0.fma(x, c20);
            c21 = w1.fma(x, c21);
            x = FloatVector.broadcast(S, a[ak + 3]);
            c30 = w0.fma(x, c30);
            c31 = w1.fma(x, c31);
            x = FloatVector.broadcast(S, a[ak + 4]);
            c40 = w0.fma(x, c40);
            c41 = w1.fma(x, c41);
            x = FloatVector.broadcast(S, a[ak + 5]);
            c50 = w0.fma(x, c50);
            c51 = w1.fma(x, c51);
            x = FloatVector.broadcast(S, a[ak + 6]);
            c60 = w0.fma(x, c60);
            c61 = w1.fma(x, c61);
            x = FloatVector.broadcast(S, a[ak + 7]);
            c70 = w0.fma(x, c70);
            c71 = w1.fma(x, c71);
            x = FloatVector.broadcast(S, a[ak + 8]);
            c80 = w0.fma(x, c80);
            c81 = w1.fma(x, c81);
            x = FloatVector.broadcast(S, a[ak + 9]);
            c90 = w0.fma(x, c90);
            c91 = w1.fma(x, c91);
            x = FloatVector.broadcast(S, a[ak + 10]);
            c100 = w0.fma(x, c100);
            c101 = w1.fma(x, c101);
            x = FloatVector.broadcast(S, a[ak + 11]);
            c110 = w0.fma(x, c110);
            c111 = w1.fma(x, c111);
        }
        c00.intoArray(c, c0 + 0 * NR);
        c01.intoArray(c, c0 + 0 * NR + L);
        c10.intoArray(c, c0 + 1 * NR);
        c11.intoArray(c, c0 + 1 * NR + L);
        c20.intoArray(c, c0 + 2 * NR);
        c21.intoArray(c, c0 + 2 * NR + L);
        c30.intoArray(c, c0 + 3 * NR);
        c31.intoArray(c, c0 + 3 * NR + L);
        c40.intoArray(c, c0 + 4 * NR);
        c41.intoArray(c, c0 + 4 * NR + L);
        c50.intoArray(c, c0 + 5 * NR);
        c51.intoArray(c, c0 + 5 * NR + L);
        c60.intoArray(c, c0 + 6 * NR);
        c61.intoArray(c, c0 + 6 * NR + L);
        c70.intoArray(c, c0 + 7 * NR);
        c71.intoArray(c, c0 + 7 * NR + L);
        c80.intoArray(c, c0 + 8 * NR);
        c81.intoArray(c, c0 + 8 * NR + L);
        c90.intoArray(c, c0 + 9 * NR);
        c91.intoArray(c, c0 + 9 * NR + L);
        c100.intoArray(c, c0 + 10 * NR);
        c101.intoArray(c, c0 + 10 * NR + L);
        c110.intoArray(c, c0 + 11 * NR);
        c111.intoArray(c, c0 + 11 * NR + L);
    }

    /**
     * 4 rows x 2 vectors: 8 accumulators; {@code a0} points at row 0, 4 or 8 of a packed 12-row
     * block. Otherwise as {@link #kernel12}: each output still sums its terms in the same order.
     */
    private static void kernel4(
            float[] a, int a0, float[] b, int kc, float[] c, int c0, boolean first, float[] bias, int n0) {
        FloatVector c00, c01, c10, c11, c20, c21, c30, c31;
        if (first) {
            FloatVector v0 = FloatVector.fromArray(S, bias, n0), v1 = FloatVector.fromArray(S, bias, n0 + L);
            c00 = v0;
            c01 = v1;
            c10 = v0;
            c11 = v1;
            c20 = v0;
            c21 = v1;
            c30 = v0;
            c31 = v1;
        } else {
            c00 = FloatVector.fromArray(S, c, c0 + 0 * NR);
            c01 = FloatVector.fromArray(S, c, c0 + 0 * NR + L);
            c10 = FloatVector.fromArray(S, c, c0 + 1 * NR);
            c11 = FloatVector.fromArray(S, c, c0 + 1 * NR + L);
            c20 = FloatVector.fromArray(S, c, c0 + 2 * NR);
            c21 = FloatVector.fromArray(S, c, c0 + 2 * NR + L);
            c30 = FloatVector.fromArray(S, c, c0 + 3 * NR);
            c31 = FloatVector.fromArray(S, c, c0 + 3 * NR + L);
        }
        for (int k = 0; k < kc; k++) {
            int bk = k * NR;
            int ak = a0 + k * MR;
            FloatVector w0 = FloatVector.fromArray(S, b, bk), w1 = FloatVector.fromArray(S, b, bk + L);
            FloatVector x;
            x = FloatVector.broadcast(S, a[ak + 0]);
            c00 = w0.fma(x, c00);
            c01 = w1.fma(x, c01);
            x = FloatVector.broadcast(S, a[ak + 1]);
            c10 = w0.fma(x, c10);
            c11 = w1.fma(x, c11);
            x = FloatVector.broadcast(S, a[ak + 2]);
            c20 = w0.fma(x, c20);
            c21 = w1.fma(x, c21);
            x = FloatVector.broadcast(S, a[ak + 3]);
            c30 = w0.fma(x, c30);
            c31 = w1.fma(x, c31);
        }
        c00.intoArray(c, c0 + 0 * NR);
        c01.intoArray(c, c0 + 0 * NR + L);
        c10.intoArray(c, c0 + 1 * NR);
        c11.intoArray(c, c0 + 1 * NR + L);
        c20.intoArray(c, c0 + 2 * NR);
        c21.intoArray(c, c0 + 2 * NR + L);
        c30.intoArray(c, c0 + 3 * NR);
        c31.intoArray(c, c0 + 3 * NR + L);
    }
}
