package sdclip.model;

import java.util.Arrays;

/** An output tensor on the Java heap: F32 values or I64 ids, row-major, with its shape. */
public record HostTensor(long[] shape, float[] floats, long[] longs) {

    public static HostTensor of(float[] values, long... shape) { return new HostTensor(shape, values, null); }

    public static HostTensor ofLongs(long[] values, long... shape) { return new HostTensor(shape, null, values); }

    public boolean isFloat() { return floats != null; }

    public int size() { return isFloat() ? floats.length : longs.length; }

    public String dtype() { return isFloat() ? "F32" : "I64"; }

    @Override public String toString() { return dtype() + Arrays.toString(shape); }

    @Override public boolean equals(Object o) {
        return o instanceof HostTensor t && Arrays.equals(shape, t.shape) && Arrays.equals(floats, t.floats) && Arrays.equals(longs, t.longs);
    }

    @Override public int hashCode() { return Arrays.hashCode(shape); }
}
