package sdclip.engine.cpu;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import sdclip.engine.Backend;
import sdclip.engine.DType;
import sdclip.engine.Weights;
import sdclip.engine.support.LinearShapes;

/**
 * A linear layer's weight repacked once, at load, into column panels for {@link Gemm}: panel
 * {@code p} holds outputs {@code [p*NR, p*NR + NR)} as {@code K} consecutive rows of {@code NR}
 * values, so the micro-kernel reads each panel front to back. Panels keep the stored dtype
 * (F16 stays two bytes) in off-heap memory and are widened per block right before use, which
 * halves the packed copy for F16 checkpoints and keeps it off the Java heap. The last panel is
 * padded with zeros.
 */
final class PackedLinear implements Backend.Linear {
    final int in, out, panels;
    final DType dtype;
    final MemorySegment packed;
    /** Bias padded to {@code panels * NR}, zeros when the layer has none. */
    final float[] bias;

    /** Allocates the panels and the bias; {@link #packPanel} fills each panel. */
    PackedLinear(List<Weights> weightRows, List<Weights> biasRows, int in, Arena arena) {
        this.in = in;
        this.out = LinearShapes.outRows(weightRows, biasRows, in);
        this.panels = (out + Gemm.NR - 1) / Gemm.NR;
        this.dtype = weightRows.getFirst().dtype();
        for (Weights w : weightRows) {
            if (w.dtype() != dtype) throw new IllegalArgumentException("fused linear mixes " + dtype + " and " + w.dtype());
        }
        long cols = (long) panels * Gemm.NR;
        this.packed = arena.allocate(cols * in * dtype.bytes(), 64);
        this.bias = new float[(int) cols];
        int o = 0;
        for (Weights b : biasRows) {
            b.copyTo(0, bias, o, (int) b.size());
            o += (int) b.size();
        }
    }

    /**
     * Fills panel {@code p}: reads its {@code NR} weight rows in bulk, transposes them in a heap
     * buffer, writes the panel with one bulk copy. Panels are independent, so they pack in parallel.
     */
    void packPanel(int p, List<Weights> weightRows, short[] rowBuf, short[] panelBuf, int[] rowWords, int[] panelWords) {
        boolean wide = dtype.bytes() == 4;
        int n0 = p * Gemm.NR;
        if (wide) java.util.Arrays.fill(panelWords, 0, in * Gemm.NR, 0);
        else java.util.Arrays.fill(panelBuf, 0, in * Gemm.NR, (short) 0);
        for (int j = 0; j < Gemm.NR && n0 + j < out; j++) {
            int row = n0 + j;
            Weights block = null;
            long local = row;
            for (Weights w : weightRows) {
                long rows = w.size() / in;
                if (local < rows) { block = w; break; }
                local -= rows;
            }
            MemorySegment src = block.segment();
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

    private static final java.lang.foreign.ValueLayout.OfInt I32_LE =
            java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);

    @Override public int in() { return in; }

    @Override public int out() { return out; }
}
