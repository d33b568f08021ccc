package sdclip.model.gguf;

import java.lang.foreign.MemorySegment;

/**
 * A read-only, flat view of block-quantized weights in place (usually a slice of a mapped GGUF
 * file), in the style of the engine's {@link sdclip.engine.Weights}: values are dequantized on
 * read, a range at a time, and nothing is copied until then. A range may start and end inside a
 * block; whole blocks are dequantized straight into the destination.
 *
 * @param type    the block-quantized type
 * @param segment the stored blocks, a whole number of them
 */
public record QuantizedWeights(GgmlType type, MemorySegment segment) {

    /**
     * A view of stored blocks.
     *
     * @throws IllegalArgumentException when the type is not one sdclip dequantizes, or the bytes are not whole blocks
     */
    public QuantizedWeights {
        if (!type.quantized()) throw new IllegalArgumentException(type + " is not a block-quantized type sdclip reads");
        if (segment.byteSize() % type.blockBytes() != 0)
            throw new IllegalArgumentException(
                    segment.byteSize() + " bytes is not a whole number of " + type + " blocks");
    }

    /** {@return the number of values} */
    public long size() {
        return segment.byteSize() / type.blockBytes() * type.blockSize();
    }

    /**
     * One value.
     *
     * @param i its index
     * @return value {@code i}, dequantized
     */
    public float get(long i) {
        float[] one = new float[1];
        copyTo(i, one, 0, 1);
        return one[0];
    }

    /**
     * Dequantizes a run of values (a row, or any range) into an array.
     *
     * @param from   first value
     * @param dst    destination
     * @param dstOff first index of {@code dst} written
     * @param count  number of values
     * @throws IndexOutOfBoundsException when the range is outside the view or the array
     */
    public void copyTo(long from, float[] dst, int dstOff, int count) {
        java.util.Objects.checkFromIndexSize(from, count, size());
        java.util.Objects.checkFromIndexSize(dstOff, count, dst.length);
        int bs = type.blockSize(), bb = type.blockBytes();
        GgmlType.BlockKernel k = type.kernel();
        float[] partial = null;
        long v = from, end = from + count;
        while (v < end) {
            long block = v / bs;
            int skip = (int) (v - block * bs);
            int take = (int) Math.min(bs - skip, end - v);
            int out = dstOff + (int) (v - from);
            if (skip == 0 && take == bs) {
                k.dequantize(segment, block * bb, dst, out);
            } else {
                if (partial == null) partial = new float[bs];
                k.dequantize(segment, block * bb, partial, 0);
                System.arraycopy(partial, skip, dst, out, take);
            }
            v += take;
        }
    }

    /**
     * A view of whole blocks of these weights, sharing the bytes (a row of a matrix whose rows are whole blocks).
     *
     * @param from  first value, a multiple of the block size
     * @param count number of values, a multiple of the block size
     * @return a view of values {@code [from, from + count)}
     * @throws IllegalArgumentException when the range does not fall on block boundaries
     */
    public QuantizedWeights slice(long from, long count) {
        int bs = type.blockSize();
        if (from % bs != 0 || count % bs != 0)
            throw new IllegalArgumentException("a " + type + " slice must cover whole blocks of " + bs);
        return new QuantizedWeights(
                type, segment.asSlice(from / bs * type.blockBytes(), count / bs * type.blockBytes()));
    }
}
