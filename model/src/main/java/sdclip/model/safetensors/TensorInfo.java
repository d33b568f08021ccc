package sdclip.model.safetensors;

import java.util.Arrays;

/** One header entry: name, dtype, shape and byte range within the data section. */
public record TensorInfo(String name, TensorType type, long[] shape, long begin, long end) {
    public long elements() {
        long n = 1;
        for (long d : shape) n *= d;
        return n;
    }

    public long bytes() { return end - begin; }

    public int rank() { return shape.length; }

    public String shapeString() { return Arrays.toString(shape); }

    @Override public boolean equals(Object o) {
        return o instanceof TensorInfo t && t.name.equals(name) && t.type == type && Arrays.equals(t.shape, shape) && t.begin == begin && t.end == end;
    }

    @Override public int hashCode() { return name.hashCode(); }

    @Override public String toString() { return name + " " + type + shapeString(); }
}
