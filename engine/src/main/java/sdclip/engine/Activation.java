package sdclip.engine;

/**
 * An F32 activation buffer owned by a backend. The engine never looks inside: each backend
 * allocates its own kind (a heap array on the CPU, a device buffer on a GPU) and moves data in
 * and out with {@link Backend#write} and {@link Backend#read}.
 */
public abstract class Activation {
    private final int size;

    /**
     * For backends: an activation of {@code size} values.
     *
     * @param size number of F32 values, not negative
     */
    protected Activation(int size) {
        if (size < 0) throw new IllegalArgumentException("negative activation size " + size);
        this.size = size;
    }

    /** {@return the number of F32 values} */
    public final int size() {
        return size;
    }
}
