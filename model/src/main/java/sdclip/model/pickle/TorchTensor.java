package sdclip.model.pickle;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import sdclip.model.safetensors.TensorType;

/**
 * A tensor of a PyTorch checkpoint: a view (offset, shape, strides, in elements) of a storage.
 * Once its file is open its bytes are little-endian and row-major: a slice of the storage when
 * the view is contiguous, else a contiguous copy made once.
 */
public final class TorchTensor {
    private final TorchStorage storage;
    private final long offset;
    private final long[] shape;
    private final long[] stride;
    private MemorySegment bytes;

    TorchTensor(TorchStorage storage, long offset, long[] shape, long[] stride) {
        this.storage = storage;
        this.offset = offset;
        this.shape = shape;
        this.stride = stride;
    }

    public TensorType type() { return storage.type; }

    public long[] shape() { return shape.clone(); }

    /** Strides in elements, as torch saved them. */
    public long[] stride() { return stride.clone(); }

    /** Offset into the storage, in elements. */
    public long storageOffset() { return offset; }

    /** The key of the storage this tensor views. */
    public String storageKey() { return storage.key; }

    public long elements() {
        long n = 1;
        for (long d : shape) n *= d;
        return n;
    }

    /** The tensor's bytes, little-endian, row-major. */
    public MemorySegment bytes() { return bytes; }

    /** True when the view is row-major without gaps (dimensions of size 1 have any stride). */
    public boolean isContiguous() {
        long expected = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            if (shape[i] != 1 && stride[i] != expected) return false;
            expected *= shape[i];
        }
        return true;
    }

    /**
     * Checks the view against the storage's real size (its bytes are bound by now), then makes
     * its bytes available: a slice when contiguous, else a copy into {@code arena}, which is
     * never larger than the storage since a view may not cover more elements than it has.
     */
    void prepare(Path file, Arena arena) {
        long elements = 1, last = offset;
        try {
            for (int i = 0; i < shape.length; i++) {
                if (shape[i] < 0 || stride[i] < 0) throw new PickleException(file, "tensor on storage " + key() + " has a negative size or stride");
                elements = Math.multiplyExact(elements, shape[i]);
                if (shape[i] > 0) last = Math.addExact(last, Math.multiplyExact(shape[i] - 1, stride[i]));
            }
        } catch (ArithmeticException e) {
            throw new PickleException(file, "tensor on storage " + key() + " has a size or stride that overflows");
        }
        if (offset < 0) throw new PickleException(file, "tensor on storage " + key() + " has a negative storage offset");
        if (elements > 0 && last >= storage.elements) {
            throw new PickleException(file, "tensor of shape " + java.util.Arrays.toString(shape) + " at offset " + offset + " reaches element " + last
                    + " of storage " + key() + ", which has " + storage.elements);
        }
        if (elements > storage.elements) {
            throw new PickleException(file, "tensor of shape " + java.util.Arrays.toString(shape) + " has more elements than its storage " + key() + " (overlapping strides)");
        }
        int size = storage.elementBytes();
        if (elements == 0) bytes = MemorySegment.ofArray(new byte[0]);
        else if (isContiguous()) bytes = storage.data().asSlice(offset * size, elements * size);
        else bytes = copyRowMajor(arena.allocate(elements * size, 8), size);
    }

    /** Gathers a strided view into row-major order, one innermost row at a time. */
    private MemorySegment copyRowMajor(MemorySegment out, int size) {
        MemorySegment src = storage.data();
        int rank = shape.length;
        long[] index = new long[rank];
        long rowLength = shape[rank - 1], rowStride = stride[rank - 1], at = 0;
        while (true) {
            long base = offset;
            for (int i = 0; i < rank - 1; i++) base += index[i] * stride[i];
            if (rowStride == 1) {
                MemorySegment.copy(src, base * size, out, at, rowLength * size);
                at += rowLength * size;
            } else {
                for (long j = 0; j < rowLength; j++, at += size) MemorySegment.copy(src, (base + j * rowStride) * size, out, at, size);
            }
            int d = rank - 2;
            while (d >= 0 && ++index[d] == shape[d]) index[d--] = 0;
            if (d < 0) return out;
        }
    }

    private String key() { return Globals.printable(storage.key); }

    @Override public String toString() { return "tensor " + type() + java.util.Arrays.toString(shape); }
}
