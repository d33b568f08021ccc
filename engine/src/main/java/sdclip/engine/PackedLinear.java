package sdclip.engine;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;

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
        int row = 0;
        for (Weights w : weightRows) {
            int rows = (int) (w.size() / in);
            pack(w, row, rows);
            row += rows;
        }
        int o = 0;
        for (Weights b : biasRows) {
            b.copyTo(0, bias, o, (int) b.size());
            o += (int) b.size();
        }
    }

    /** Scatters rows {@code [row0, row0 + rows)} of W into their panels, raw bits, no rounding. */
    private void pack(Weights w, int row0, int rows) {
        MemorySegment src = w.segment();
        boolean wide = dtype.bytes() == 4;
        int[] words = wide ? new int[in] : null;
        short[] halves = wide ? null : new short[in];
        for (int r = 0; r < rows; r++) {
            int o = row0 + r, p = o / Gemm.NR, j = o % Gemm.NR;
            long dst = (long) p * in * Gemm.NR + j;
            if (wide) {
                MemorySegment.copy(src, I32_LE, (long) r * in * 4, words, 0, in);
                for (int k = 0; k < in; k++) packed.setAtIndex(I32_LE, dst + (long) k * Gemm.NR, words[k]);
            } else {
                MemorySegment.copy(src, Weights.I16_LE, (long) r * in * 2, halves, 0, in);
                for (int k = 0; k < in; k++) packed.setAtIndex(Weights.I16_LE, dst + (long) k * Gemm.NR, halves[k]);
            }
        }
    }

    private static final java.lang.foreign.ValueLayout.OfInt I32_LE =
            java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);

    @Override public int in() { return in; }

    @Override public int out() { return out; }

    /** Off-heap bytes this layer holds. */
    long packedBytes() { return packed.byteSize(); }
}
