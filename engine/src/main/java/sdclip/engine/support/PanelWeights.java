package sdclip.engine.support;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;

import sdclip.engine.Backend;
import sdclip.engine.DType;
import sdclip.engine.Weights;

/**
 * What the CPU backends' packed linears share: a layer's weight repacked once, at load, into
 * column panels of {@code nr} outputs, in the stored dtype (F16 stays two bytes, quantized
 * formats stay quantized: {@link QuantPanels}) off the Java heap, the last panel zero-padded; and the bias padded to whole panels. This allocates both;
 * each subclass fills its panels in its own kernel's layout.
 */
public abstract class PanelWeights implements Backend.Linear {
    public final int in, out, panels;
    public final DType dtype;
    /** Bytes per panel: {@code nr * in} values of a plain {@link #dtype}, or {@link QuantPanels#panelBytes}. */
    public final long panelBytes;
    /** {@code panels} panels of {@link #panelBytes}, zeros until packed. */
    public final MemorySegment packed;
    /** Bias padded to {@code panels * nr}, zeros when the layer has none. */
    public final float[] bias;

    /** Allocates the panels (64-byte aligned, from {@code arena}) and fills the bias. */
    protected PanelWeights(List<Weights> weightRows, List<Weights> biasRows, int in, int nr, Arena arena) {
        this.in = in;
        this.out = LinearShapes.outRows(weightRows, biasRows, in);
        this.panels = (out + nr - 1) / nr;
        this.dtype = weightRows.getFirst().dtype();
        for (Weights w : weightRows) {
            if (w.dtype() != dtype)
                throw new IllegalArgumentException("fused linear mixes " + dtype + " and " + w.dtype());
        }
        long cols = (long) panels * nr;
        this.panelBytes = dtype.quantized() ? QuantPanels.panelBytes(dtype, in, nr) : (long) nr * in * dtype.bytes();
        this.packed = arena.allocate(panels * panelBytes, 64);
        this.bias = new float[(int) cols];
        int o = 0;
        for (Weights b : biasRows) {
            b.copyTo(0, bias, o, (int) b.size());
            o += (int) b.size();
        }
    }

    /** Where output row {@code row} is stored: {@code block}, one of the weight row blocks, at its row {@code local}. */
    protected record RowAt(Weights block, long local) {}

    /** {@return where output {@code row} of the stacked {@code weightRows} blocks is stored} */
    protected final RowAt rowAt(List<Weights> weightRows, long row) {
        long local = row;
        for (Weights w : weightRows) {
            long rows = w.size() / in;
            if (local < rows) return new RowAt(w, local);
            local -= rows;
        }
        throw new IndexOutOfBoundsException("output row " + row + " of " + out);
    }

    /** Packs panel {@code p} of a block-quantized layer (see {@link QuantPanels}). */
    protected final void packQuantized(int p, List<Weights> weightRows, int nr, QuantPanels.Scratch s) {
        int n0 = p * nr;
        QuantPanels.pack(
                dtype,
                in,
                nr,
                Math.min(nr, out - n0),
                j -> {
                    RowAt at = rowAt(weightRows, n0 + j);
                    return at.block().slice(at.local() * in, in);
                },
                packed.asSlice(p * panelBytes, panelBytes),
                s);
    }

    /**
     * Drops the resident pages of mapped weight rows once their panels are packed: the packed copy
     * is what the kernels read, so keeping the mapped pages too would count every weight twice in
     * the process's RSS. Only the page table entries go (madvise DONTNEED on a read-only file
     * mapping); a later read faults the bytes back from the file, so this never changes a value.
     */
    public static void releaseMapped(List<Weights> weightRows) {
        for (Weights w : weightRows) {
            MemorySegment s = w.segment();
            if (s.isMapped()) s.unload();
        }
    }

    @Override
    public int in() {
        return in;
    }

    @Override
    public int out() {
        return out;
    }
}
