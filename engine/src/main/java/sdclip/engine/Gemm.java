package sdclip.engine;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@code y = x W^T + b} over a {@link PackedLinear}. One task is one column panel: for each block
 * of {@code KC} inputs the panel block is widened into per-thread scratch, then a 4-row x 3-vector
 * register-blocked micro-kernel sweeps every token over it (12 accumulators; each step loads three
 * weight vectors and broadcasts four activations). Every weight value is loaded once per
 * four tokens, not once per token.
 */
final class Gemm {
    private Gemm() {}

    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int L = S.length();
    /** Outputs per panel: three vectors. */
    static final int NR = 3 * L;
    /** Tokens per micro-kernel call. */
    static final int MR = 4;
    /** Inputs per block: a block of one panel fits in L1 (KC * NR * 4 bytes). */
    static final int KC = Integer.getInteger("sdclip.gemm.kc", 256);

    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Per-worker scratch, grown on demand and then reused. */
    static final class Scratch {
        final float[] block = new float[KC * NR];
        final short[] bits = new short[KC * NR];
        float[] tile = new float[0];
        float[] scores = new float[0];
        float[] keys = new float[0];

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
    }

    /** Computes panel {@code p} of {@code y[rows, out]} from {@code x[rows, in]}. */
    static void panel(PackedLinear w, int p, float[] x, int rows, float[] y, Scratch s) {
        int n0 = p * NR, in = w.in;
        boolean full = n0 + NR <= w.out;
        // A partial last panel is computed into a [rows, NR] tile and its valid columns copied out.
        float[] c = full ? y : s.tile(rows * NR);
        int c0 = full ? n0 : 0, ldc = full ? w.out : NR;
        for (int k0 = 0; k0 < in; k0 += KC) {
            int kc = Math.min(KC, in - k0);
            widen(w, p, k0, kc, s);
            boolean first = k0 == 0;
            int m = 0;
            for (; m + MR <= rows; m += MR) kernel4(x, m * in + k0, in, s.block, kc, c, c0 + m * ldc, ldc, first, w.bias, n0);
            for (; m < rows; m++) kernel1(x, m * in + k0, s.block, kc, c, c0 + m * ldc, first, w.bias, n0);
        }
        if (!full) {
            int valid = w.out - n0;
            for (int m = 0; m < rows; m++) System.arraycopy(c, m * NR, y, m * w.out + n0, valid);
        }
    }

    /** Panel block rows {@code [k0, k0 + kc)} into {@code s.block} as F32. */
    private static void widen(PackedLinear w, int p, int k0, int kc, Scratch s) {
        long start = ((long) p * w.in + k0) * NR;
        int count = kc * NR;
        MemorySegment src = w.packed;
        switch (w.dtype) {
            case F32 -> MemorySegment.copy(src, F32, start * 4, s.block, 0, count);
            case F16 -> {
                MemorySegment.copy(src, I16, start * 2, s.bits, 0, count);
                F16Weights.widen(s.bits, 0, s.block, 0, count);
            }
            case BF16 -> {
                MemorySegment.copy(src, I16, start * 2, s.bits, 0, count);
                BF16Weights.widen(s.bits, 0, s.block, 0, count);
            }
        }
    }

    private static void kernel4(float[] x, int x0, int ldx, float[] b, int kc,
                                float[] c, int c0, int ldc, boolean first, float[] bias, int n0) {
        FloatVector c00, c01, c02, c10, c11, c12, c20, c21, c22, c30, c31, c32;
        int r1 = c0 + ldc, r2 = r1 + ldc, r3 = r2 + ldc;
        if (first) {
            FloatVector b0 = FloatVector.fromArray(S, bias, n0);
            FloatVector b1 = FloatVector.fromArray(S, bias, n0 + L);
            FloatVector b2 = FloatVector.fromArray(S, bias, n0 + 2 * L);
            c00 = b0; c01 = b1; c02 = b2;
            c10 = b0; c11 = b1; c12 = b2;
            c20 = b0; c21 = b1; c22 = b2;
            c30 = b0; c31 = b1; c32 = b2;
        } else {
            c00 = FloatVector.fromArray(S, c, c0); c01 = FloatVector.fromArray(S, c, c0 + L); c02 = FloatVector.fromArray(S, c, c0 + 2 * L);
            c10 = FloatVector.fromArray(S, c, r1); c11 = FloatVector.fromArray(S, c, r1 + L); c12 = FloatVector.fromArray(S, c, r1 + 2 * L);
            c20 = FloatVector.fromArray(S, c, r2); c21 = FloatVector.fromArray(S, c, r2 + L); c22 = FloatVector.fromArray(S, c, r2 + 2 * L);
            c30 = FloatVector.fromArray(S, c, r3); c31 = FloatVector.fromArray(S, c, r3 + L); c32 = FloatVector.fromArray(S, c, r3 + 2 * L);
        }
        int x1 = x0 + ldx, x2 = x1 + ldx, x3 = x2 + ldx;
        for (int k = 0; k < kc; k++) {
            int bk = k * NR;
            FloatVector w0 = FloatVector.fromArray(S, b, bk);
            FloatVector w1 = FloatVector.fromArray(S, b, bk + L);
            FloatVector w2 = FloatVector.fromArray(S, b, bk + 2 * L);
            FloatVector a = FloatVector.broadcast(S, x[x0 + k]);
            c00 = w0.fma(a, c00); c01 = w1.fma(a, c01); c02 = w2.fma(a, c02);
            a = FloatVector.broadcast(S, x[x1 + k]);
            c10 = w0.fma(a, c10); c11 = w1.fma(a, c11); c12 = w2.fma(a, c12);
            a = FloatVector.broadcast(S, x[x2 + k]);
            c20 = w0.fma(a, c20); c21 = w1.fma(a, c21); c22 = w2.fma(a, c22);
            a = FloatVector.broadcast(S, x[x3 + k]);
            c30 = w0.fma(a, c30); c31 = w1.fma(a, c31); c32 = w2.fma(a, c32);
        }
        c00.intoArray(c, c0); c01.intoArray(c, c0 + L); c02.intoArray(c, c0 + 2 * L);
        c10.intoArray(c, r1); c11.intoArray(c, r1 + L); c12.intoArray(c, r1 + 2 * L);
        c20.intoArray(c, r2); c21.intoArray(c, r2 + L); c22.intoArray(c, r2 + 2 * L);
        c30.intoArray(c, r3); c31.intoArray(c, r3 + L); c32.intoArray(c, r3 + 2 * L);
    }

    private static void kernel1(float[] x, int x0, float[] b, int kc,
                                float[] c, int c0, boolean first, float[] bias, int n0) {
        FloatVector c0v, c1v, c2v;
        if (first) {
            c0v = FloatVector.fromArray(S, bias, n0);
            c1v = FloatVector.fromArray(S, bias, n0 + L);
            c2v = FloatVector.fromArray(S, bias, n0 + 2 * L);
        } else {
            c0v = FloatVector.fromArray(S, c, c0);
            c1v = FloatVector.fromArray(S, c, c0 + L);
            c2v = FloatVector.fromArray(S, c, c0 + 2 * L);
        }
        for (int k = 0; k < kc; k++) {
            int bk = k * NR;
            FloatVector a = FloatVector.broadcast(S, x[x0 + k]);
            c0v = FloatVector.fromArray(S, b, bk).fma(a, c0v);
            c1v = FloatVector.fromArray(S, b, bk + L).fma(a, c1v);
            c2v = FloatVector.fromArray(S, b, bk + 2 * L).fma(a, c2v);
        }
        c0v.intoArray(c, c0);
        c1v.intoArray(c, c0 + L);
        c2v.intoArray(c, c0 + 2 * L);
    }
}
