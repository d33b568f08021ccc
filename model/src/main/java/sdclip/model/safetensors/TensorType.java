package sdclip.model.safetensors;

import sdclip.engine.DType;



/** Every dtype the safetensors format defines, with its size in bits. */
public enum TensorType {
    BOOL(8), U8(8), I8(8), F8_E5M2(8), F8_E4M3(8), F8_E8M0(8), F4(4), F6_E2M3(6), F6_E3M2(6),
    I16(16), U16(16), F16(16), BF16(16), I32(32), U32(32), F32(32), F64(64), I64(64), U64(64);

    private final int bits;

    TensorType(int bits) { this.bits = bits; }

    public int bits() { return bits; }

    /** The engine dtype this computes as, or null when sdclip does not compute with it. */
    public DType computeType() {
        return switch (this) {
            case F32 -> DType.F32;
            case F16 -> DType.F16;
            case BF16 -> DType.BF16;
            default -> null;
        };
    }

    /** The type named in a header, or null. */
    public static TensorType parse(String name) {
        for (TensorType t : values()) if (t.name().equals(name)) return t;
        return null;
    }
}
