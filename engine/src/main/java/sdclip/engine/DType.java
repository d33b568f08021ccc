package sdclip.engine;

/**
 * Storage formats the engine computes with. Activations are always F32. Plain formats hold one
 * value per element; block-quantized ones (ggml's {@code Q8_0}, {@code Q4_K}...) hold
 * {@link #blockSize()} values in {@link #blockBytes()} bytes and are dequantized exactly as ggml's
 * reference {@code dequantize_row_*} does.
 */
public enum DType {
    /** IEEE single precision. */
    F32(1, 4),
    /** IEEE half precision. */
    F16(1, 2),
    /** bfloat16: the upper half of an F32. */
    BF16(1, 2),
    /** 32 values: an F16 scale and signed 8-bit quants. */
    Q8_0(32, 34),
    /** 32 values: an F16 scale and 4-bit quants offset by 8. */
    Q4_0(32, 18),
    /** 32 values: F16 scale and minimum, 4-bit quants. */
    Q4_1(32, 20),
    /** 32 values: an F16 scale and 5-bit quants offset by 16. */
    Q5_0(32, 22),
    /** 32 values: F16 scale and minimum, 5-bit quants. */
    Q5_1(32, 24),
    /** 256 values in 16 groups: 4-bit scales and minimums, 2-bit quants. */
    Q2_K(256, 84),
    /** 256 values in 16 groups: 6-bit scales, 3-bit quants. */
    Q3_K(256, 110),
    /** 256 values in 8 groups: 6-bit scales and minimums, 4-bit quants. */
    Q4_K(256, 144),
    /** 256 values in 8 groups: 6-bit scales and minimums, 5-bit quants. */
    Q5_K(256, 176),
    /** 256 values in 16 groups: 8-bit scales, 6-bit quants. */
    Q6_K(256, 210);

    private final int blockSize;
    private final int blockBytes;

    DType(int blockSize, int blockBytes) {
        this.blockSize = blockSize;
        this.blockBytes = blockBytes;
    }

    /** {@return bytes per element of a plain format; for a block-quantized one, bytes per block} */
    public int bytes() {
        return blockBytes;
    }

    /** {@return values per block: 1 for a plain format, 32 or 256 for a block-quantized one} */
    public int blockSize() {
        return blockSize;
    }

    /** {@return bytes per block (per element for a plain format)} */
    public int blockBytes() {
        return blockBytes;
    }

    /** {@return whether values are stored in quantized blocks rather than one by one} */
    public boolean quantized() {
        return blockSize > 1;
    }
}
