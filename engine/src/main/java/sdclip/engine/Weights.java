package sdclip.engine;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * A read-only, flat view of weight values stored little-endian in a {@link MemorySegment},
 * usually a slice of a memory-mapped file. Views never copy: values are widened (or, for
 * block-quantized formats, dequantized) to F32 on read, and reads are correct at any alignment
 * (safetensors data may start at an odd offset).
 */
public sealed interface Weights permits F32Weights, F16Weights, BF16Weights, QuantizedWeights {

    /** A little-endian F32 at any alignment. */
    ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** A little-endian 16-bit value (F16 or BF16 bits) at any alignment. */
    ValueLayout.OfShort I16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** {@return the stored format} */
    DType dtype();

    /** {@return the bytes behind the view: {@code size() / dtype().blockSize()} blocks of {@code dtype().blockBytes()}} */
    MemorySegment segment();

    /** {@return the number of elements} */
    default long size() {
        return segment().byteSize() / dtype().bytes();
    }

    /**
     * One element.
     *
     * @param i its index
     * @return element {@code i} widened to F32
     */
    float get(long i);

    /**
     * Widens a run of elements into an array.
     *
     * @param from   first element
     * @param dst    destination
     * @param dstOff first index of {@code dst} written
     * @param count  number of elements
     */
    void copyTo(long from, float[] dst, int dstOff, int count);

    /**
     * A view of part of these weights, sharing the bytes.
     *
     * @param from  first element
     * @param count number of elements
     * @return a view of elements {@code [from, from + count)}
     */
    Weights slice(long from, long count);

    /**
     * A view of bytes as weights.
     *
     * @param dtype   the stored format
     * @param segment the bytes, a whole number of elements (of blocks, for a block-quantized format)
     * @return the view (no copy)
     */
    static Weights of(DType dtype, MemorySegment segment) {
        if (segment.byteSize() % dtype.bytes() != 0) {
            throw new IllegalArgumentException(
                    segment.byteSize() + " bytes is not a whole number of " + dtype + " values");
        }
        return switch (dtype) {
            case F32 -> new F32Weights(segment);
            case F16 -> new F16Weights(segment);
            case BF16 -> new BF16Weights(segment);
            default -> new QuantizedWeights(dtype, segment);
        };
    }

    /**
     * F32 weights copied from a Java array into a heap segment (tests and generated models).
     *
     * @param values the values
     * @return F32 weights holding a copy
     */
    static Weights ofFloats(float... values) {
        MemorySegment seg = MemorySegment.ofArray(new byte[values.length * 4]);
        for (int i = 0; i < values.length; i++) seg.setAtIndex(F32_LE, i, values[i]);
        return new F32Weights(seg);
    }

    /**
     * Values rounded to a format (round to nearest even; quantized as {@link QuantizedWeights#quantize}), in a heap
     * segment.
     *
     * @param dtype  the format
     * @param values the values
     * @return weights of that format holding the rounded values
     */
    static Weights rounded(DType dtype, float... values) {
        if (dtype == DType.F32) return ofFloats(values);
        if (dtype.quantized()) return QuantizedWeights.quantize(dtype, values);
        MemorySegment seg = MemorySegment.ofArray(new byte[values.length * 2]);
        for (int i = 0; i < values.length; i++) {
            short bits = dtype == DType.F16 ? Float.floatToFloat16(values[i]) : BF16Weights.fromFloat(values[i]);
            seg.setAtIndex(I16_LE, i, bits);
        }
        return of(dtype, seg);
    }
}
