package sdclip.engine.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;
import sdclip.engine.DType;
import sdclip.engine.support.QuantPanels;

/**
 * A quantized panel's block dequantized into the micro-kernel's F32 block with vectors: per input,
 * {@code NR} quant bytes are loaded as two byte vectors of {@code L} lanes, widened to F32 and
 * scaled by the group's per-output factors ({@link QuantPanels} layouts). The arithmetic is
 * {@link QuantPanels#block}'s, so the values are the same floats (ggml's).
 */
final class QuantBlocks {
    private QuantBlocks() {}

    private static final VectorSpecies<Float> S = Gemm.S;
    private static final int L = Gemm.L, NR = Gemm.NR;
    private static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class, VectorShape.forBitSize(L * 8));

    /** Inputs {@code [k0, k0 + kc)} of panel {@code p} into {@code dst[(k - k0) * NR ..]}. */
    static void block(PackedLinear w, int p, int k0, int kc, float[] dst, QuantPanels.Scratch s) {
        MemorySegment panel = w.packed.asSlice(p * w.panelBytes, w.panelBytes);
        DType t = w.dtype;
        if (!QuantPanels.transposed(t)) {
            QuantPanels.block(t, panel, NR, k0, kc, dst, s);
            return;
        }
        if (t == DType.Q8_0) {
            q8_0(panel, k0, kc, dst, s);
            return;
        }
        byte[] q = s.groupQuants(QuantPanels.GROUP * NR);
        int rowBase = 0;
        for (int k = k0; k < k0 + kc; k++) {
            if (k == k0 || k % QuantPanels.GROUP == 0) {
                // The group's quant rows this block reads, copied once: loads from a heap array
                // skip the per-access checks of a shared segment.
                long quants = QuantPanels.group(t, panel, NR, k, s);
                int last = Math.min(k0 + kc, (k / QuantPanels.GROUP + 1) * QuantPanels.GROUP) - 1;
                long from = quants + QuantPanels.quantRow(t, NR, k), to = quants + QuantPanels.quantRow(t, NR, last);
                if (t == DType.Q4_0) { // inputs r and r + 16 share row r: the group's 16 rows
                    from = quants;
                    to = quants + 15L * NR;
                }
                MemorySegment.copy(panel, ValueLayout.JAVA_BYTE, from, q, 0, (int) (to - from) + NR);
                rowBase = (int) (from - quants);
            }
            // Scales are reloaded per input (L1 hits): vectors kept across iterations stay boxed in C2.
            float[] d = s.d1();
            FloatVector d0 = FloatVector.fromArray(S, d, 0), d1 = FloatVector.fromArray(S, d, L);
            int at = (int) QuantPanels.quantRow(t, NR, k) - rowBase;
            ByteVector q0 = ByteVector.fromArray(B, q, at);
            ByteVector q1 = ByteVector.fromArray(B, q, at + L);
            int off = (k - k0) * NR;
            int shift = QuantPanels.highNibble(t, k) ? 4 : 0;
            q0 = q0.lanewise(VectorOperators.ASHR, shift).and((byte) 0xF);
            q1 = q1.lanewise(VectorOperators.ASHR, shift).and((byte) 0xF);
            if (t == DType.Q4_0) {
                widen(q0.sub((byte) 8)).mul(d0).intoArray(dst, off);
                widen(q1.sub((byte) 8)).mul(d1).intoArray(dst, off + L);
            } else { // Q4_K: d1 q - m1
                float[] m = s.m1();
                d0.mul(widen(q0)).sub(FloatVector.fromArray(S, m, 0)).intoArray(dst, off);
                d1.mul(widen(q1)).sub(FloatVector.fromArray(S, m, L)).intoArray(dst, off + L);
            }
        }
    }

    /**
     * Q8_0, the common case, without the 4-bit formats' per-input branches: per group, the rows
     * this block reads copied once, then each input's {@code NR} quants times the group's scales.
     */
    private static void q8_0(MemorySegment panel, int k0, int kc, float[] dst, QuantPanels.Scratch s) {
        byte[] q = s.groupQuants(QuantPanels.GROUP * NR);
        for (int k = k0, end = k0 + kc; k < end; ) {
            int rows = Math.min(end, (k / QuantPanels.GROUP + 1) * QuantPanels.GROUP) - k;
            long quants = QuantPanels.group(DType.Q8_0, panel, NR, k, s);
            MemorySegment.copy(
                    panel, ValueLayout.JAVA_BYTE, quants + QuantPanels.quantRow(DType.Q8_0, NR, k), q, 0, rows * NR);
            FloatVector d0 = FloatVector.fromArray(S, s.d1(), 0), d1 = FloatVector.fromArray(S, s.d1(), L);
            for (int r = 0, off = (k - k0) * NR; r < rows; r++, off += NR) {
                widen(ByteVector.fromArray(B, q, r * NR)).mul(d0).intoArray(dst, off);
                widen(ByteVector.fromArray(B, q, r * NR + L)).mul(d1).intoArray(dst, off + L);
            }
            k += rows;
        }
    }

    private static FloatVector widen(ByteVector q) {
        return (FloatVector) q.convertShape(VectorOperators.B2F, S, 0);
    }
}
