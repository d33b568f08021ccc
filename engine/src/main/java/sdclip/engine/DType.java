package sdclip.engine;

/** Storage formats the engine computes with. Activations are always F32. */
public enum DType {
    F32(4), F16(2), BF16(2);

    private final int bytes;

    DType(int bytes) { this.bytes = bytes; }

    /** Bytes per element. */
    public int bytes() { return bytes; }
}
