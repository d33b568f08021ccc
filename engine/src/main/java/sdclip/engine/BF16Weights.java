package sdclip.engine;

import java.lang.foreign.MemorySegment;

/**
 * bfloat16 weights (the top half of an F32), little-endian, any alignment.
 *
 * @param segment the stored bytes, a whole number of elements
 */
public record BF16Weights(MemorySegment segment) implements Weights {
    @Override
    public DType dtype() {
        return DType.BF16;
    }

    @Override
    public float get(long i) {
        return toFloat(segment.getAtIndex(I16_LE, i));
    }

    @Override
    public void copyTo(long from, float[] dst, int dstOff, int count) {
        // Scalar on purpose: used for short rows (embeddings, norms); packing widens in bulk.
        for (int i = 0; i < count; i++) dst[dstOff + i] = toFloat(segment.getAtIndex(I16_LE, from + i));
    }

    @Override
    public Weights slice(long from, long count) {
        return new BF16Weights(segment.asSlice(from * 2, count * 2));
    }

    /**
     * One bfloat16 to float (exact).
     *
     * @param bits the bfloat16 bits
     * @return the value
     */
    public static float toFloat(short bits) {
        return Float.intBitsToFloat(bits << 16);
    }

    /**
     * One float to bfloat16, rounding to nearest even; NaN stays NaN.
     *
     * @param f the value
     * @return the bfloat16 bits
     */
    public static short fromFloat(float f) {
        int x = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) return (short) ((x >>> 16) | 0x40);
        return (short) ((x + 0x7FFF + ((x >>> 16) & 1)) >>> 16);
    }

    /**
     * bfloat16 to float over arrays.
     *
     * @param src    bfloat16 bits
     * @param srcOff first index read
     * @param dst    destination
     * @param dstOff first index written
     * @param count  number of values
     */
    public static void widen(short[] src, int srcOff, float[] dst, int dstOff, int count) {
        for (int i = 0; i < count; i++) dst[dstOff + i] = Float.intBitsToFloat(src[srcOff + i] << 16);
    }
}
