package sdclip.engine;

import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * Block-quantized weights in place (usually a slice of a mapped GGUF file): values are
 * dequantized on read, exactly as ggml's reference {@code dequantize_row_*} does, and nothing is
 * copied until then. The CPU backends pack them into panels that stay quantized and dequantize one
 * panel block at a time, as F16 is widened. A range may start and end inside a block.
 *
 * @param dtype   the block-quantized format
 * @param segment the stored blocks, a whole number of them
 */
public record QuantizedWeights(DType dtype, MemorySegment segment) implements Weights {

    /**
     * A view of stored blocks.
     *
     * @throws IllegalArgumentException when the format is not block-quantized or the bytes are not whole blocks
     */
    public QuantizedWeights {
        if (!dtype.quantized()) throw new IllegalArgumentException(dtype + " is not a block-quantized format");
        if (segment.byteSize() % dtype.blockBytes() != 0)
            throw new IllegalArgumentException(
                    segment.byteSize() + " bytes is not a whole number of " + dtype + " blocks");
    }

    @Override
    public long size() {
        return segment.byteSize() / dtype.blockBytes() * dtype.blockSize();
    }

    /**
     * Dequantizes one whole block.
     *
     * @param block the block's index
     * @param dst   destination, {@code dtype().blockSize()} values from {@code off}
     * @param off   first index of {@code dst} written
     */
    public void block(long block, float[] dst, int off) {
        GgmlBlocks.dequantize(dtype, segment, block * dtype.blockBytes(), dst, off);
    }

    /**
     * Dequantizes one block of a format from any bytes (a packed panel keeps whole blocks too).
     *
     * @param dtype the block-quantized format
     * @param src   the bytes
     * @param at    the block's first byte
     * @param dst   destination, {@code dtype.blockSize()} values from {@code off}
     * @param off   first index of {@code dst} written
     */
    public static void dequantize(DType dtype, MemorySegment src, long at, float[] dst, int off) {
        GgmlBlocks.dequantize(dtype, src, at, dst, off);
    }

    @Override
    public float get(long i) {
        Objects.checkIndex(i, size());
        if (dtype == DType.Q8_0) return GgmlBlocks.q8_0(segment, i / 32 * 34, (int) (i % 32));
        float[] one = new float[dtype.blockSize()];
        block(i / dtype.blockSize(), one, 0);
        return one[(int) (i % dtype.blockSize())];
    }

    /** {@inheritDoc} Whole blocks are dequantized straight into the destination. */
    @Override
    public void copyTo(long from, float[] dst, int dstOff, int count) {
        Objects.checkFromIndexSize(from, count, size());
        Objects.checkFromIndexSize(dstOff, count, dst.length);
        int bs = dtype.blockSize();
        float[] partial = null;
        long v = from, end = from + count;
        while (v < end) {
            long b = v / bs;
            int skip = (int) (v - b * bs);
            int take = (int) Math.min(bs - skip, end - v);
            int out = dstOff + (int) (v - from);
            if (skip == 0 && take == bs) {
                block(b, dst, out);
            } else {
                if (partial == null) partial = new float[bs];
                block(b, partial, 0);
                System.arraycopy(partial, skip, dst, out, take);
            }
            v += take;
        }
    }

    /**
     * {@inheritDoc}
     *
     * @throws IllegalArgumentException when the range does not fall on block boundaries
     */
    @Override
    public QuantizedWeights slice(long from, long count) {
        int bs = dtype.blockSize();
        if (from % bs != 0 || count % bs != 0)
            throw new IllegalArgumentException("a " + dtype + " slice must cover whole blocks of " + bs);
        return new QuantizedWeights(
                dtype, segment.asSlice(from / bs * dtype.blockBytes(), count / bs * dtype.blockBytes()));
    }

    /**
     * Quantizes values into a heap segment: {@code Q8_0} and {@code Q4_0} as ggml's reference
     * {@code quantize_row_*} does, {@code Q4_K} with a simpler search for the scales than ggml's
     * (the same block format, slightly different choices).
     *
     * @param dtype  {@link DType#Q8_0}, {@link DType#Q4_0} or {@link DType#Q4_K}
     * @param values the values, a whole number of blocks
     * @return the quantized blocks
     * @throws IllegalArgumentException for another format, or values that are not whole blocks
     */
    public static QuantizedWeights quantize(DType dtype, float... values) {
        if (values.length % dtype.blockSize() != 0)
            throw new IllegalArgumentException(
                    values.length + " values is not a whole number of " + dtype + " blocks of " + dtype.blockSize());
        MemorySegment out = MemorySegment.ofArray(new byte[values.length / dtype.blockSize() * dtype.blockBytes()]);
        GgmlQuantizer.quantize(dtype, values, 0, values.length, out, 0);
        return new QuantizedWeights(dtype, out);
    }
}
