package sdclip.model.safetensors;

import java.util.Arrays;

/**
 * One header entry: name, dtype, shape and byte range within the data section.
 *
 * @param name  the tensor's name in the file
 * @param type  its stored dtype
 * @param shape its dimensions, outermost first (row-major); empty for a scalar
 * @param begin offset of its first byte, from the start of the data section (after the header)
 * @param end   offset just past its last byte; {@code end - begin} is the shape's element count times the dtype's size
 */
public record TensorInfo(String name, TensorType type, long[] shape, long begin, long end) {
    /** {@return the number of elements, the product of the shape (1 for a scalar)} */
    public long elements() {
        long n = 1;
        for (long d : shape) n *= d;
        return n;
    }

    /** {@return the size of its data in bytes} */
    public long bytes() {
        return end - begin;
    }

    /** {@return the number of dimensions} */
    public int rank() {
        return shape.length;
    }

    /** {@return the shape as messages print it, e.g. {@code [49408, 768]}} */
    public String shapeString() {
        return Arrays.toString(shape);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorInfo t
                && t.name.equals(name)
                && t.type == type
                && Arrays.equals(t.shape, shape)
                && t.begin == begin
                && t.end == end;
    }

    @Override
    public int hashCode() {
        return name.hashCode();
    }

    @Override
    public String toString() {
        return name + " " + type + shapeString();
    }
}
