package sdclip.engine.cpu;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;

import sdclip.engine.Weights;
import sdclip.engine.support.PanelWeights;

/**
 * A linear layer's weight repacked once, at load, into column panels for {@link Gemm}: panel
 * {@code p} holds outputs {@code [p*NR, p*NR + NR)} as {@code K} consecutive rows of {@code NR}
 * values, so the micro-kernel reads each panel front to back. Panels keep the stored dtype
 * (F16 stays two bytes; quantized formats stay quantized, see {@link sdclip.engine.support.QuantPanels}) in off-heap memory and are widened per block right before use, which
 * halves the packed copy for F16 checkpoints and keeps it off the Java heap. The last panel is
 * padded with zeros.
 */
final class PackedLinear extends PanelWeights {
    /** Allocates the panels and the bias (see {@link PanelWeights}); {@link #packPanel} fills each panel. */
    PackedLinear(List<Weights> weightRows, List<Weights> biasRows, int in, Arena arena) {
        super(weightRows, biasRows, in, Gemm.NR, arena);
    }

    /**
     * Fills panel {@code p}: reads its {@code NR} weight rows in bulk, transposes them in a heap
     * buffer, writes the panel with one bulk copy. Panels are independent, so they pack in parallel.
     */
    void packPanel(int p, List<Weights> weightRows, Gemm.Scratch s) {
        if (dtype.quantized()) {
            packQuantized(p, weightRows, Gemm.NR, s.quant);
            return;
        }
        short[] rowBuf = s.packRow(in), panelBuf = s.packPanel(in);
        int[] rowWords = s.packRowWords(in), panelWords = s.packPanelWords(in);
        boolean wide = dtype.bytes() == 4;
        int n0 = p * Gemm.NR;
        if (wide) Arrays.fill(panelWords, 0, in * Gemm.NR, 0);
        else Arrays.fill(panelBuf, 0, in * Gemm.NR, (short) 0);
        for (int j = 0; j < Gemm.NR && n0 + j < out; j++) {
            RowAt at = rowAt(weightRows, n0 + j);
            MemorySegment src = at.block().segment();
            long local = at.local();
            if (wide) {
                MemorySegment.copy(src, I32_LE, local * in * 4, rowWords, 0, in);
                for (int k = 0; k < in; k++) panelWords[k * Gemm.NR + j] = rowWords[k];
            } else {
                MemorySegment.copy(src, Weights.I16_LE, local * in * 2, rowBuf, 0, in);
                for (int k = 0; k < in; k++) panelBuf[k * Gemm.NR + j] = rowBuf[k];
            }
        }
        long dst = (long) p * in * Gemm.NR;
        if (wide) MemorySegment.copy(panelWords, 0, packed, I32_LE, dst * 4, in * Gemm.NR);
        else MemorySegment.copy(panelBuf, 0, packed, Weights.I16_LE, dst * 2, in * Gemm.NR);
    }

    private static final ValueLayout.OfInt I32_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
}
