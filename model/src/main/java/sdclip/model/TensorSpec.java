package sdclip.model;

import java.util.Arrays;
import java.util.Objects;

/**
 * The name, dtype and shape an output tensor of a run will have, known before the run starts
 * ({@link TextEncoder#outputs}), so writers can lay a file out and write batches as they come.
 *
 * @param name      the tensor name, e.g. {@code conditioning} or {@code encoder1.pooled_output}
 * @param dtype     {@code "F32"} or {@code "I64"}
 * @param shape     the whole run's shape, e.g. {@code [N, 77, D]} or {@code [L+1, N, 77, D]}
 * @param batchAxis the axis that counts prompts: 0, or 1 for {@code hidden_states}
 * @param copyOf    the tensor this one repeats (whole, or as a slice), or null when it holds
 *                  values no other tensor of the run holds
 */
public record TensorSpec(String name, String dtype, long[] shape, int batchAxis, String copyOf) {

    /** {@return bytes per value: 4 for F32, 8 for I64} */
    public int elementBytes() {
        return dtype.equals("F32") ? 4 : 8;
    }

    /** {@return values in the whole tensor (a long: N x 77 x D overflows an int for large runs)} */
    public long elements() {
        long n = 1;
        for (long d : shape) n = Math.multiplyExact(n, d);
        return n;
    }

    /** {@return bytes of the whole tensor} */
    public long bytes() {
        return Math.multiplyExact(elements(), (long) elementBytes());
    }

    /** {@return values per prompt in each block along the batch axis (77 x D for {@code [N, 77, D]})} */
    public long rowElements() {
        long n = 1;
        for (int i = batchAxis + 1; i < shape.length; i++) n = Math.multiplyExact(n, shape[i]);
        return n;
    }

    /** {@return how many blocks precede the batch axis: 1, or L+1 for {@code hidden_states}} */
    public long blocks() {
        long n = 1;
        for (int i = 0; i < batchAxis; i++) n *= shape[i];
        return n;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorSpec t
                && name.equals(t.name)
                && dtype.equals(t.dtype)
                && Arrays.equals(shape, t.shape)
                && batchAxis == t.batchAxis
                && Objects.equals(copyOf, t.copyOf);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, dtype, Arrays.hashCode(shape), batchAxis, copyOf);
    }

    @Override
    public String toString() {
        return name + " " + dtype + Arrays.toString(shape) + (copyOf != null ? " (copy of " + copyOf + ")" : "");
    }
}
