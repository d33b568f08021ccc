package sdclip.model.safetensors;

import sdclip.engine.DType;

/**
 * Every dtype the safetensors format defines, with its size in bits. The constant names are the strings headers
 * use; sdclip computes only with {@link #F32}, {@link #F16} and {@link #BF16}.
 */
public enum TensorType {
    /** Boolean, one byte. */
    BOOL(8),
    /** Unsigned 8-bit integer. */
    U8(8),
    /** Signed 8-bit integer. */
    I8(8),
    /** 8-bit float: 5 exponent bits, 2 mantissa bits. */
    F8_E5M2(8),
    /** 8-bit float: 4 exponent bits, 3 mantissa bits. */
    F8_E4M3(8),
    /** 8-bit exponent only (a power-of-two scale, as in MX formats). */
    F8_E8M0(8),
    /** 4-bit float (E2M1); two per byte. */
    F4(4),
    /** 6-bit float: 2 exponent bits, 3 mantissa bits. */
    F6_E2M3(6),
    /** 6-bit float: 3 exponent bits, 2 mantissa bits. */
    F6_E3M2(6),
    /** Signed 16-bit integer. */
    I16(16),
    /** Unsigned 16-bit integer. */
    U16(16),
    /** IEEE 754 half precision. */
    F16(16),
    /** bfloat16: the top 16 bits of an F32. */
    BF16(16),
    /** Signed 32-bit integer. */
    I32(32),
    /** Unsigned 32-bit integer. */
    U32(32),
    /** IEEE 754 single precision. */
    F32(32),
    /** IEEE 754 double precision. */
    F64(64),
    /** Signed 64-bit integer (token ids, position ids). */
    I64(64),
    /** Unsigned 64-bit integer. */
    U64(64);

    private final int bits;

    TensorType(int bits) {
        this.bits = bits;
    }

    /** {@return the size of one element in bits (4 and 6 for the packed float formats)} */
    public int bits() {
        return bits;
    }

    /** {@return the engine dtype this computes as, or null when sdclip does not compute with it} */
    public DType computeType() {
        return switch (this) {
            case F32 -> DType.F32;
            case F16 -> DType.F16;
            case BF16 -> DType.BF16;
            default -> null;
        };
    }

    /**
     * The type a header names.
     *
     * @param name the header's {@code dtype} string, e.g. {@code BF16} (case-sensitive)
     * @return that type, or null when the format defines no such dtype
     */
    public static TensorType parse(String name) {
        for (TensorType t : values()) if (t.name().equals(name)) return t;
        return null;
    }
}
