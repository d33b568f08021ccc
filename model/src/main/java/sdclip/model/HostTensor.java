package sdclip.model;

import java.util.Arrays;

/**
 * An output tensor on the Java heap: F32 values or I64 values (ids, positions), row-major, with
 * its shape. Exactly one of {@link #floats} and {@link #longs} is non-null.
 *
 * @param shape  the dimensions, outermost first (e.g. {@code [N, 77, D]})
 * @param floats the F32 values, or null for an I64 tensor
 * @param longs  the I64 values, or null for an F32 tensor
 */
public record HostTensor(long[] shape, float[] floats, long[] longs) {

    /**
     * An F32 tensor; the array is kept, not copied.
     *
     * @param values the values, row-major
     * @param shape  the dimensions, outermost first; their product should be {@code values.length}
     * @return the tensor
     */
    public static HostTensor of(float[] values, long... shape) { return new HostTensor(shape, values, null); }

    /**
     * An I64 tensor; the array is kept, not copied.
     *
     * @param values the values, row-major
     * @param shape  the dimensions, outermost first; their product should be {@code values.length}
     * @return the tensor
     */
    public static HostTensor ofLongs(long[] values, long... shape) { return new HostTensor(shape, null, values); }

    /** {@return true for F32, false for I64} */
    public boolean isFloat() { return floats != null; }

    /** {@return the number of values} */
    public int size() { return isFloat() ? floats.length : longs.length; }

    /** {@return {@code "F32"} or {@code "I64"}, as safetensors names them} */
    public String dtype() { return isFloat() ? "F32" : "I64"; }

    /** {@return bytes per value: 4 for F32, 8 for I64} */
    public int elementBytes() { return isFloat() ? 4 : 8; }

    @Override public String toString() { return dtype() + Arrays.toString(shape); }

    @Override public boolean equals(Object o) {
        return o instanceof HostTensor t && Arrays.equals(shape, t.shape) && Arrays.equals(floats, t.floats) && Arrays.equals(longs, t.longs);
    }

    @Override public int hashCode() { return Arrays.hashCode(shape); }
}
