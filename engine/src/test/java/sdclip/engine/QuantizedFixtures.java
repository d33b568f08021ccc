package sdclip.engine;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import sdclip.testdata.Seeded;

/** Seeded quantized weights of every block format, for the backends' tests. */
public final class QuantizedFixtures {
    private QuantizedFixtures() {}

    /**
     * {@code n} values of {@code t}: the formats sdclip quantizes to from uniform values in
     * {@code [-scale, scale]}; the others as random blocks whose F16 scale fields are set to
     * small positive values (every other bit pattern is a valid block).
     */
    public static Weights random(DType t, long seed, int n, float scale) {
        Seeded rnd = new Seeded(seed);
        if (!t.quantized()) return Weights.rounded(t, rnd.uniform(n, scale));
        if (t == DType.Q8_0 || t == DType.Q4_0 || t == DType.Q4_K)
            return QuantizedWeights.quantize(t, rnd.uniform(n, scale));
        int blocks = n / t.blockSize();
        byte[] bytes = new byte[blocks * t.blockBytes()];
        for (int i = 0; i < bytes.length; i++) bytes[i] = (byte) rnd.nextInt(256);
        MemorySegment s = MemorySegment.ofArray(bytes);
        for (int b = 0; b < blocks; b++) {
            long at = (long) b * t.blockBytes();
            for (long field : scaleFields(t)) {
                float v = scale / 64 * (0.25f + rnd.nextInt(1000) / 1000f);
                s.set(ValueLayout.JAVA_SHORT_UNALIGNED, at + field, Float.floatToFloat16(v));
            }
        }
        return new QuantizedWeights(t, s);
    }

    /** Byte offsets of a block's F16 scale (and minimum) fields. */
    private static long[] scaleFields(DType t) {
        return switch (t) {
            case Q4_1, Q5_1, Q4_K, Q5_K -> new long[] {0, 2};
            case Q5_0 -> new long[] {0};
            case Q2_K -> new long[] {80, 82};
            case Q3_K -> new long[] {108};
            case Q6_K -> new long[] {208};
            default -> throw new IllegalArgumentException(t.toString());
        };
    }
}
