package sdclip.engine;

/** Storage formats the engine computes with. Activations are always F32. */
public enum DType {
    /** IEEE single precision. */
    F32(4),
    /** IEEE half precision. */
    F16(2),
    /** bfloat16: the upper half of an F32. */
    BF16(2);

    private final int bytes;

    DType(int bytes) {
        this.bytes = bytes;
    }

    /** {@return bytes per element} */
    public int bytes() {
        return bytes;
    }
}
