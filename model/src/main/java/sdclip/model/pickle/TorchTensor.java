package sdclip.model.pickle;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.function.Supplier;

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
    private PickleException refusal;

    TorchTensor(TorchStorage storage, long offset, long[] shape, long[] stride) {
        this.storage = storage;
        this.offset = offset;
        this.shape = shape;
        this.stride = stride;
    }

    /** The element type, from the storage class (FloatStorage: F32, HalfStorage: F16, ...). */
    public TensorType type() {
        return storage.type;
    }

    /** The shape, outermost dimension first. */
    public long[] shape() {
        return shape.clone();
    }

    /** Strides in elements, as torch saved them. */
    public long[] stride() {
        return stride.clone();
    }

    /** Offset into the storage, in elements. */
    public long storageOffset() {
        return offset;
    }

    /** The key of the storage this tensor views. */
    public String storageKey() {
        return storage.key;
    }

    /** The number of elements (1 for a scalar). */
    public long elements() {
        long n = 1;
        for (long d : shape) n *= d;
        return n;
    }

    /**
     * The tensor's bytes, little-endian, row-major.
     *
     * @return the bytes
     * @throws PickleException when the view does not fit its storage (the message names the tensor)
     */
    public MemorySegment bytes() {
        if (refusal != null) throw refusal;
        return bytes;
    }

    /** Marks a view that failed its check: its bytes are refused with {@code e}. */
    void refuse(PickleException e) {
        refusal = e;
    }

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
     * Checks the view against the storage's real size (bound by now): in bounds and no overflow.
     * Views that repeat elements (an expanded tensor's stride 0) are read as torch reads them.
     * {@code name} tells which tensor, for a refusal's message.
     */
    void check(Path file, Supplier<String> name) {
        long elements = 1, last = offset;
        try {
            for (int i = 0; i < shape.length; i++) {
                if (shape[i] < 0 || stride[i] < 0)
                    throw new PickleException(file, "tensor " + name.get() + " has a negative size or stride");
                elements = Math.multiplyExact(elements, shape[i]);
                if (shape[i] > 0) last = Math.addExact(last, Math.multiplyExact(shape[i] - 1, stride[i]));
            }
        } catch (ArithmeticException e) {
            throw new PickleException(file, "tensor " + name.get() + " has a size or stride that overflows");
        }
        if (offset < 0) throw new PickleException(file, "tensor " + name.get() + " has a negative storage offset");
        if (elements > 0 && last >= storage.elements) {
            throw new PickleException(
                    file,
                    "tensor " + name.get() + " of shape " + Arrays.toString(shape) + " at offset " + offset
                            + " needs element " + last + " but its storage holds " + storage.elements + " elements"
                            + (elements > storage.elements ? " (it has more elements than its storage holds)" : ""));
        }
    }

    /** Bytes a contiguous copy of this (checked) view takes; 0 when it is contiguous and needs none. */
    long copyBytes() {
        return isContiguous() ? 0 : elements() * storage.elementBytes();
    }

    /** Makes the checked view's bytes available: a slice of the storage when contiguous, else a row-major copy into {@code arena}. */
    void bind(Arena arena) {
        if (refusal != null) return;
        int size = storage.elementBytes();
        long elements = elements();
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
        long base = offset; // the row's first element, kept up to date as the index moves: linear in the rank
        while (true) {
            if (rowStride == 1) {
                MemorySegment.copy(src, base * size, out, at, rowLength * size);
                at += rowLength * size;
            } else {
                at = gather(src, base, rowStride, rowLength, size, out, at);
            }
            int d = rank - 2;
            while (d >= 0 && ++index[d] == shape[d]) {
                base -= (shape[d] - 1) * stride[d];
                index[d--] = 0;
            }
            if (d < 0) return out;
            base += stride[d];
        }
    }

    /** Copies {@code n} elements {@code step} apart starting at element {@code from}; returns the next output byte. */
    private static long gather(MemorySegment src, long from, long step, long n, int size, MemorySegment out, long at) {
        for (long j = 0, e = from; j < n; j++, e += step, at += size) {
            switch (size) {
                case 1 -> out.set(ValueLayout.JAVA_BYTE, at, src.get(ValueLayout.JAVA_BYTE, e));
                case 2 ->
                    out.set(ValueLayout.JAVA_SHORT_UNALIGNED, at, src.get(ValueLayout.JAVA_SHORT_UNALIGNED, e * 2));
                case 4 -> out.set(ValueLayout.JAVA_INT_UNALIGNED, at, src.get(ValueLayout.JAVA_INT_UNALIGNED, e * 4));
                default ->
                    out.set(ValueLayout.JAVA_LONG_UNALIGNED, at, src.get(ValueLayout.JAVA_LONG_UNALIGNED, e * 8));
            }
        }
        return at;
    }

    private String key() {
        return Globals.printable(storage.key);
    }

    @Override
    public String toString() {
        return "tensor " + type() + Arrays.toString(shape);
    }
}
