package sdclip.model;

import java.util.Arrays;

/**
 * An output tensor on the Java heap, row-major with its shape: {@link F32} values (conditioning,
 * embeddings) or {@link I64} values (ids, positions, counts). Switch over the two records, or use
 * {@link #floats()} and {@link #longs()}, which refuse the other type.
 */
public sealed interface HostTensor permits HostTensor.F32, HostTensor.I64 {

    /**
     * An F32 tensor; the array is kept, not copied.
     *
     * @param values the values, row-major
     * @param shape  the dimensions, outermost first; their product should be {@code values.length}
     * @return the tensor
     */
    static HostTensor of(float[] values, long... shape) {
        return new F32(shape, values);
    }

    /**
     * An I64 tensor; the array is kept, not copied.
     *
     * @param values the values, row-major
     * @param shape  the dimensions, outermost first; their product should be {@code values.length}
     * @return the tensor
     */
    static HostTensor ofLongs(long[] values, long... shape) {
        return new I64(shape, values);
    }

    /** {@return the dimensions, outermost first (e.g. {@code [N, 77, D]})} */
    long[] shape();

    /** {@return {@code "F32"} or {@code "I64"}, as safetensors names them} */
    String dtype();

    /** {@return the number of values} */
    int size();

    /** {@return bytes per value: 4 for F32, 8 for I64} */
    int elementBytes();

    /** {@return true for F32, false for I64} */
    default boolean isFloat() {
        return this instanceof F32;
    }

    /**
     * The F32 values.
     *
     * @return the values, row-major (the tensor's own array)
     * @throws IllegalStateException for an I64 tensor
     */
    default float[] floats() {
        if (this instanceof F32 f) return f.values();
        throw new IllegalStateException("an " + dtype() + " tensor has no float values");
    }

    /**
     * The I64 values.
     *
     * @return the values, row-major (the tensor's own array)
     * @throws IllegalStateException for an F32 tensor
     */
    default long[] longs() {
        if (this instanceof I64 l) return l.values();
        throw new IllegalStateException("an " + dtype() + " tensor has no long values");
    }

    /**
     * 32-bit floats.
     *
     * @param shape  the dimensions, outermost first
     * @param values the values, row-major
     */
    record F32(long[] shape, float[] values) implements HostTensor {
        @Override
        public String dtype() {
            return "F32";
        }

        @Override
        public int size() {
            return values.length;
        }

        @Override
        public int elementBytes() {
            return 4;
        }

        @Override
        public String toString() {
            return "F32" + Arrays.toString(shape);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof F32 t && Arrays.equals(shape, t.shape) && Arrays.equals(values, t.values);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(shape);
        }
    }

    /**
     * 64-bit integers.
     *
     * @param shape  the dimensions, outermost first
     * @param values the values, row-major
     */
    record I64(long[] shape, long[] values) implements HostTensor {
        @Override
        public String dtype() {
            return "I64";
        }

        @Override
        public int size() {
            return values.length;
        }

        @Override
        public int elementBytes() {
            return 8;
        }

        @Override
        public String toString() {
            return "I64" + Arrays.toString(shape);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof I64 t && Arrays.equals(shape, t.shape) && Arrays.equals(values, t.values);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(shape);
        }
    }
}
