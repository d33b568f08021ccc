package sdclip.model.pickle;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.function.Function;

import sdclip.model.safetensors.TensorType;

/**
 * A tensor of a PyTorch checkpoint: a view (offset, shape, strides, in elements) of a storage.
 * Its bytes are little-endian and row-major, made when first asked for: a slice of the storage
 * when the view is contiguous, else a contiguous copy made once. A tensor whose view or storage
 * is wrong opens with its file all the same and is refused, by name, only when its bytes are
 * asked for, so a broken tensor nobody reads (an optimizer's, a UNet's) never makes a model
 * unreadable.
 */
public final class TorchTensor {
    private final TorchStorage storage;
    private final long offset;
    private final long[] shape;
    private final long[] stride;
    /** What is wrong with it, without its name; null when it reads. */
    private String problem;

    private Context context;
    private MemorySegment bytes;

    TorchTensor(TorchStorage storage, long offset, long[] shape, long[] stride) {
        this.storage = storage;
        this.offset = offset;
        this.shape = shape;
        this.stride = stride;
    }

    /** A tensor whose rebuild arguments make no view: no shape, refused with {@code problem} when read. */
    static TorchTensor refused(TorchStorage storage, String problem) {
        TorchTensor t = new TorchTensor(storage, 0, null, null);
        t.problem = problem;
        return t;
    }

    /** What a file's tensors share when their bytes are made: the file, the arena for copies, their names, the copy allowance. */
    static final class Context {
        final Path file;
        final Arena arena;
        private final long copyLimit;
        private long copied;
        private final Function<TorchTensor, String> names;

        /**
         * @param copyLimit the bytes all contiguous copies of strided views may take together
         * @param names     a tensor's place in the object, for messages (found once, when first needed)
         */
        Context(Path file, Arena arena, long copyLimit, Function<TorchTensor, String> names) {
            this.file = file;
            this.arena = arena;
            this.copyLimit = copyLimit;
            this.names = names;
        }

        private synchronized boolean takeCopy(long n) {
            if (n > copyLimit - copied) return false;
            copied += n;
            return true;
        }
    }

    /** The element type (FloatStorage: F32, HalfStorage: F16, ...); null when it is one sdclip does not read or unknown. */
    public TensorType type() {
        return storage == null ? null : storage.type();
    }

    /** True when the pickle says what the tensor is (its element type and its shape), even if its bytes are refused. */
    public boolean isDescribed() {
        return shape != null && type() != null;
    }

    /** The shape, outermost dimension first; empty when the pickle gives none (see {@link #isDescribed}). */
    public long[] shape() {
        return shape == null ? new long[0] : shape.clone();
    }

    /** Strides in elements, as torch saved them; empty when the pickle gives none. */
    public long[] stride() {
        return stride == null ? new long[0] : stride.clone();
    }

    /** Offset into the storage, in elements. */
    public long storageOffset() {
        return offset;
    }

    /** The key of the storage this tensor views; null when its persistent id gives none. */
    public String storageKey() {
        return storage == null ? null : storage.key;
    }

    /** The number of elements (1 for a scalar). */
    public long elements() {
        long n = 1;
        for (long d : shape()) n *= d;
        return n;
    }

    /** Its size in bytes as a row-major tensor; -1 when it is not described or the size overflows or is negative. */
    long byteSize() {
        if (!isDescribed()) return -1;
        try {
            long n = storage.elementBytes();
            for (long d : shape) {
                if (d < 0) return -1;
                n = Math.multiplyExact(n, d);
            }
            return n;
        } catch (ArithmeticException e) {
            return -1;
        }
    }

    /**
     * The tensor's bytes, little-endian, row-major; made on first call (a copy for a strided view).
     *
     * @return the bytes
     * @throws PickleException when the tensor cannot be read: its view does not fit its storage,
     *     its storage is missing or of another size, its dtype is not one sdclip reads, its
     *     persistent id names no storage... (the message names the tensor and what is wrong)
     */
    public synchronized MemorySegment bytes() {
        if (bytes == null) bytes = read();
        return bytes;
    }

    /** True when the view is row-major without gaps (dimensions of size 1 have any stride). */
    public boolean isContiguous() {
        if (shape == null) return false;
        long expected = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            if (shape[i] != 1 && stride[i] != expected) return false;
            expected *= shape[i];
        }
        return true;
    }

    /**
     * Checks the tensor once its file is read (storages bound or found wrong), keeping what is
     * wrong with it for when its bytes are asked for: its storage's problem, else its view's
     * against the storage's size (in bounds, no overflow). Views that repeat elements (an
     * expanded tensor's stride 0) are read as torch reads them.
     */
    void check(Context context) {
        this.context = context;
        if (problem != null) return;
        if (storage.problem() != null) {
            problem = storage.key == null
                    ? "cannot be read: " + storage.problem()
                    : "cannot be read: its storage " + storage.name() + " " + storage.problem();
            return;
        }
        long elements = 1, last = offset;
        try {
            for (int i = 0; i < shape.length; i++) {
                if (shape[i] < 0 || stride[i] < 0) {
                    problem = "has a negative size or stride";
                    return;
                }
                elements = Math.multiplyExact(elements, shape[i]);
                if (shape[i] > 0) last = Math.addExact(last, Math.multiplyExact(shape[i] - 1, stride[i]));
            }
        } catch (ArithmeticException e) {
            problem = "has a size or stride that overflows";
            return;
        }
        if (offset < 0) problem = "has a negative storage offset";
        else if (elements > 0 && last >= storage.elements)
            problem = "of shape " + Arrays.toString(shape) + " at offset " + offset + " needs element " + last
                    + " but its storage holds " + storage.elements + " elements"
                    + (elements > storage.elements ? " (it has more elements than its storage holds)" : "");
    }

    /** The refusal of this tensor, or null when it reads (as far as its file's structure tells). */
    String problem() {
        return problem;
    }

    private MemorySegment read() {
        if (problem != null) throw refusal(problem);
        int size = storage.elementBytes();
        long elements = elements();
        if (elements == 0) return MemorySegment.ofArray(new byte[0]);
        MemorySegment src;
        try {
            src = storage.data();
        } catch (PickleException e) {
            throw refusal("cannot be read: its storage " + storage.name() + " is unreadable (" + e.problem() + ")");
        }
        if (isContiguous()) return src.asSlice(offset * size, elements * size);
        if (!context.takeCopy(elements * size))
            throw refusal("is a strided or expanded view whose contiguous copy (" + elements * size
                    + " bytes) would take the copies of such views past the file's size by more than "
                    + TorchFile.COPY_SLACK + " bytes");
        return copyRowMajor(src, context.arena.allocate(elements * size, 8), size);
    }

    private PickleException refusal(String why) {
        return new PickleException(context.file, "tensor " + context.names.apply(this) + " " + why);
    }

    /** Gathers a strided view into row-major order, one innermost row at a time. */
    private MemorySegment copyRowMajor(MemorySegment src, MemorySegment out, int size) {
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

    @Override
    public String toString() {
        return "tensor " + type() + Arrays.toString(shape());
    }
}
