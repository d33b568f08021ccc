package sdclip.model.gguf;

import sdclip.engine.DType;
import sdclip.model.safetensors.TensorType;

/**
 * The tensor types a GGUF file may name, by ggml's type id, with their block geometry. Plain
 * types (F32, F16, BF16, the integers, F64) are one element per block and read in place; the
 * block-quantized types sdclip reads map to the engine's {@link DType} of the same name, whose
 * blocks it dequantizes exactly as ggml's reference {@code dequantize_row_*} does. The rest (IQ*, TQ*, Q8_1, Q8_K...) are known by
 * name only, so a file using them is refused naming the type.
 */
public enum GgmlType {
    /** IEEE single precision. */
    F32(0, 1, 4, TensorType.F32, null),
    /** IEEE half precision. */
    F16(1, 1, 2, TensorType.F16, null),
    /** 32 values: an F16 scale and 4-bit quants offset by 8. */
    Q4_0(2, 32, 18, null, DType.Q4_0),
    /** 32 values: F16 scale and minimum, 4-bit quants. */
    Q4_1(3, 32, 20, null, DType.Q4_1),
    /** 32 values: an F16 scale and 5-bit quants offset by 16. */
    Q5_0(6, 32, 22, null, DType.Q5_0),
    /** 32 values: F16 scale and minimum, 5-bit quants. */
    Q5_1(7, 32, 24, null, DType.Q5_1),
    /** 32 values: an F16 scale and signed 8-bit quants. */
    Q8_0(8, 32, 34, null, DType.Q8_0),
    /** ggml's activation format for Q8_0 dot products; not read. */
    Q8_1(9, 32, 40, null, null),
    /** 256 values in 16 groups: 4-bit scales and minimums, 2-bit quants. */
    Q2_K(10, 256, 84, null, DType.Q2_K),
    /** 256 values in 16 groups: 6-bit scales, 3-bit quants. */
    Q3_K(11, 256, 110, null, DType.Q3_K),
    /** 256 values in 8 groups: 6-bit scales and minimums, 4-bit quants. */
    Q4_K(12, 256, 144, null, DType.Q4_K),
    /** 256 values in 8 groups: 6-bit scales and minimums, 5-bit quants. */
    Q5_K(13, 256, 176, null, DType.Q5_K),
    /** 256 values in 16 groups: 8-bit scales, 6-bit quants. */
    Q6_K(14, 256, 210, null, DType.Q6_K),
    /** ggml's activation format for K-quant dot products; not read. */
    Q8_K(15, 256, 292, null, null),
    /** Importance-matrix 2-bit format; not read. */
    IQ2_XXS(16, 256, 66, null, null),
    /** Importance-matrix 2-bit format; not read. */
    IQ2_XS(17, 256, 74, null, null),
    /** Importance-matrix 3-bit format; not read. */
    IQ3_XXS(18, 256, 98, null, null),
    /** Importance-matrix 1-bit format; not read. */
    IQ1_S(19, 256, 50, null, null),
    /** Non-linear 4-bit format; not read. */
    IQ4_NL(20, 32, 18, null, null),
    /** Importance-matrix 3-bit format; not read. */
    IQ3_S(21, 256, 110, null, null),
    /** Importance-matrix 2-bit format; not read. */
    IQ2_S(22, 256, 82, null, null),
    /** Non-linear 4-bit format with sub-block scales; not read. */
    IQ4_XS(23, 256, 136, null, null),
    /** Signed 8-bit integer. */
    I8(24, 1, 1, TensorType.I8, null),
    /** Signed 16-bit integer. */
    I16(25, 1, 2, TensorType.I16, null),
    /** Signed 32-bit integer. */
    I32(26, 1, 4, TensorType.I32, null),
    /** Signed 64-bit integer. */
    I64(27, 1, 8, TensorType.I64, null),
    /** IEEE double precision. */
    F64(28, 1, 8, TensorType.F64, null),
    /** Importance-matrix 1-bit format; not read. */
    IQ1_M(29, 256, 56, null, null),
    /** bfloat16. */
    BF16(30, 1, 2, TensorType.BF16, null),
    /** Ternary format; not read. */
    TQ1_0(34, 256, 54, null, null),
    /** Ternary format; not read. */
    TQ2_0(35, 256, 66, null, null),
    /** Microscaling FP4; not read. */
    MXFP4(39, 32, 17, null, null);

    private final int id;
    private final int blockSize;
    private final int blockBytes;
    private final TensorType plain;
    private final DType quantized;

    GgmlType(int id, int blockSize, int blockBytes, TensorType plain, DType quantized) {
        this.id = id;
        this.blockSize = blockSize;
        this.blockBytes = blockBytes;
        this.plain = plain;
        this.quantized = quantized;
    }

    /** {@return ggml's numeric id for this type, as GGUF tensor infos store it} */
    public int id() {
        return id;
    }

    /** {@return values per block (1 for plain types, 32 or 256 for quantized ones)} */
    public int blockSize() {
        return blockSize;
    }

    /** {@return bytes per block} */
    public int blockBytes() {
        return blockBytes;
    }

    /** {@return the safetensors dtype of a plain type, read in place; null for a block-quantized one} */
    public TensorType plain() {
        return plain;
    }

    /** {@return whether sdclip reads tensors of this type (plain, or quantized with a kernel)} */
    public boolean readable() {
        return plain != null || quantized != null;
    }

    /** {@return whether this is a block-quantized type sdclip dequantizes} */
    public boolean quantized() {
        return quantized != null;
    }

    /** {@return the engine's format for a block-quantized type sdclip reads (it dequantizes), else null} */
    public DType dtype() {
        return quantized;
    }

    /**
     * The type for an engine format.
     *
     * @param dtype a plain or block-quantized format
     * @return the ggml type storing it
     */
    public static GgmlType of(DType dtype) {
        return switch (dtype) {
            case F32 -> F32;
            case F16 -> F16;
            case BF16 -> BF16;
            default -> valueOf(dtype.name()); // the quantized formats share ggml's names
        };
    }

    /**
     * The type with a ggml id.
     *
     * @param id the id a tensor info stores
     * @return the type, or null for an id ggml does not define (or no longer does)
     */
    public static GgmlType ofId(long id) {
        for (GgmlType t : values()) if (t.id == id) return t;
        return null;
    }

    /**
     * The type a name gives, case-insensitive ({@code q8_0}, {@code Q4_K}).
     *
     * @param name the name
     * @return the type, or null when there is none of that name
     */
    public static GgmlType parse(String name) {
        for (GgmlType t : values()) if (t.name().equalsIgnoreCase(name)) return t;
        return null;
    }
}
