package sdclip.engine;

import java.lang.foreign.MemorySegment;

/**
 * F32 weights, little-endian, any alignment.
 *
 * @param segment the stored bytes, a whole number of elements
 */
public record F32Weights(MemorySegment segment) implements Weights {
    @Override
    public DType dtype() {
        return DType.F32;
    }

    @Override
    public float get(long i) {
        return segment.getAtIndex(F32_LE, i);
    }

    @Override
    public void copyTo(long from, float[] dst, int dstOff, int count) {
        MemorySegment.copy(segment, F32_LE, from * 4, dst, dstOff, count);
    }

    @Override
    public Weights slice(long from, long count) {
        return new F32Weights(segment.asSlice(from * 4, count * 4));
    }
}
