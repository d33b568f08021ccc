package sdclip.engine;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * A read-only, flat view of weight values stored little-endian in a {@link MemorySegment},
 * usually a slice of a memory-mapped file. Views never copy: values are widened to F32 on
 * read, and reads are correct at any alignment (safetensors data may start at an odd offset).
 */
public sealed interface Weights permits F32Weights, F16Weights, BF16Weights {

    ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    ValueLayout.OfShort I16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    DType dtype();

    /** The bytes behind the view; {@code size() * dtype().bytes()} long. */
    MemorySegment segment();

    /** Number of elements. */
    default long size() { return segment().byteSize() / dtype().bytes(); }

    /** Element {@code i} widened to F32. */
    float get(long i);

    /** Widens {@code count} elements starting at {@code from} into {@code dst[dstOff..]}. */
    void copyTo(long from, float[] dst, int dstOff, int count);

    /** A view of elements {@code [from, from + count)}. */
    Weights slice(long from, long count);

    /** A view of {@code segment} as {@code dtype}; its byte size must be a whole number of elements. */
    static Weights of(DType dtype, MemorySegment segment) {
        if (segment.byteSize() % dtype.bytes() != 0) {
            throw new IllegalArgumentException(segment.byteSize() + " bytes is not a whole number of " + dtype + " values");
        }
        return switch (dtype) {
            case F32 -> new F32Weights(segment);
            case F16 -> new F16Weights(segment);
            case BF16 -> new BF16Weights(segment);
        };
    }

    /** F32 weights copied from a Java array into a heap segment (tests and generated models). */
    static Weights ofFloats(float... values) {
        MemorySegment seg = MemorySegment.ofArray(new byte[values.length * 4]);
        for (int i = 0; i < values.length; i++) seg.setAtIndex(F32_LE, i, values[i]);
        return new F32Weights(seg);
    }

    /** The values rounded to {@code dtype} (round to nearest even), in a heap segment. */
    static Weights rounded(DType dtype, float... values) {
        if (dtype == DType.F32) return ofFloats(values);
        MemorySegment seg = MemorySegment.ofArray(new byte[values.length * 2]);
        for (int i = 0; i < values.length; i++) {
            short bits = dtype == DType.F16 ? Float.floatToFloat16(values[i]) : BF16Weights.fromFloat(values[i]);
            seg.setAtIndex(I16_LE, i, bits);
        }
        return of(dtype, seg);
    }
}
