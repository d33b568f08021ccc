package sdclip.engine.portable;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;

import sdclip.engine.BF16Weights;
import sdclip.engine.DType;
import sdclip.engine.F16Weights;
import sdclip.engine.Weights;
import sdclip.engine.support.PanelWeights;
import sdclip.engine.support.QuantPanels;

/**
 * A linear layer's weight repacked once, at load, into column panels of {@link Gemm#NR}
 * outputs: panel {@code p} holds outputs {@code [p*NR, p*NR + NR)} as {@code in} consecutive
 * rows of NR values, zero-padded past the last output. Panels keep the stored dtype (F16 stays
 * two bytes, quantized formats stay quantized: {@link QuantPanels}) off the Java heap and are widened one block at a time right before use.
 */
final class PackedPanels extends PanelWeights {
    private static final ValueLayout.OfInt I32_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Allocates the panels and the bias (see {@link PanelWeights}); {@link #packPanel} fills each panel. */
    PackedPanels(List<Weights> weightRows, List<Weights> biasRows, int in, Arena arena) {
        super(weightRows, biasRows, in, Gemm.NR, arena);
    }

    /** Fills panel {@code p} from the weight rows (transposed through {@code rowBuf}); panels pack in parallel. */
    void packPanel(int p, List<Weights> weightRows, Gemm.Scratch s) {
        if (dtype.quantized()) {
            packQuantized(p, weightRows, Gemm.NR, s.quant);
            return;
        }
        int[] rowBuf = s.packRow(in), panelBuf = s.packPanel(in);
        boolean wide = dtype.bytes() == 4;
        int n0 = p * Gemm.NR, size = in * Gemm.NR;
        Arrays.fill(panelBuf, 0, size, 0);
        for (int j = 0; j < Gemm.NR && n0 + j < out; j++) {
            RowAt at = rowAt(weightRows, n0 + j);
            MemorySegment src = at.block().segment();
            long local = at.local();
            if (wide) {
                MemorySegment.copy(src, I32_LE, local * in * 4, rowBuf, 0, in);
            } else {
                for (int k = 0; k < in; k++) rowBuf[k] = src.getAtIndex(Weights.I16_LE, local * in + k);
            }
            for (int k = 0; k < in; k++) panelBuf[k * Gemm.NR + j] = rowBuf[k];
        }
        long dst = (long) p * size;
        if (wide) {
            MemorySegment.copy(panelBuf, 0, packed, I32_LE, dst * 4, size);
        } else {
            for (int i = 0; i < size; i++) packed.setAtIndex(Weights.I16_LE, dst + i, (short) panelBuf[i]);
        }
    }

    /** Rows {@code [k0, k0 + kc)} of panel {@code p} as F32 into {@code block[0..kc)}: copied, widened from F16/BF16, or dequantized. */
    void block(int p, int k0, int kc, float[][] block, Gemm.Scratch s) {
        if (dtype.quantized()) {
            QuantPanels.block(dtype, packed.asSlice(p * panelBytes, panelBytes), Gemm.NR, k0, kc, s.flat, s.quant);
            for (int k = 0; k < kc; k++) System.arraycopy(s.flat, k * Gemm.NR, block[k], 0, Gemm.NR);
            return;
        }
        short[] bits = s.bits;
        long start = ((long) p * in + k0) * Gemm.NR;
        if (dtype == DType.F32) {
            for (int k = 0; k < kc; k++)
                MemorySegment.copy(packed, F32, (start + (long) k * Gemm.NR) * 4, block[k], 0, Gemm.NR);
            return;
        }
        MemorySegment.copy(packed, I16, start * 2, bits, 0, kc * Gemm.NR);
        for (int k = 0; k < kc; k++) {
            if (dtype == DType.F16) F16Weights.widen(bits, k * Gemm.NR, block[k], 0, Gemm.NR);
            else BF16Weights.widen(bits, k * Gemm.NR, block[k], 0, Gemm.NR);
        }
    }
}
