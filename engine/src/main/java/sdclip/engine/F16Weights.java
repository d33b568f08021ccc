package sdclip.engine;

import java.lang.foreign.MemorySegment;

/**
 * IEEE half-precision weights, little-endian, any alignment.
 *
 * @param segment the stored bytes, a whole number of elements
 */
public record F16Weights(MemorySegment segment) implements Weights {
    @Override
    public DType dtype() {
        return DType.F16;
    }

    @Override
    public float get(long i) {
        return Float.float16ToFloat(segment.getAtIndex(I16_LE, i));
    }

    @Override
    public void copyTo(long from, float[] dst, int dstOff, int count) {
        // Scalar on purpose: used for short rows (embeddings, norms); packing widens in bulk.
        for (int i = 0; i < count; i++) dst[dstOff + i] = Float.float16ToFloat(segment.getAtIndex(I16_LE, from + i));
    }

    @Override
    public Weights slice(long from, long count) {
        return new F16Weights(segment.asSlice(from * 2, count * 2));
    }

    /**
     * Half to float over arrays; a plain loop that C2 turns into vcvtph2ps.
     *
     * @param src    F16 bits
     * @param srcOff first index read
     * @param dst    destination
     * @param dstOff first index written
     * @param count  number of values
     */
    public static void widen(short[] src, int srcOff, float[] dst, int dstOff, int count) {
        for (int i = 0; i < count; i++) dst[dstOff + i] = Float.float16ToFloat(src[srcOff + i]);
    }
}
