package sdclip.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import org.junit.jupiter.api.Test;

class WeightsTest {

    @Test
    void decodesHalfAndBfloatBitPatterns() {
        // F16: 0x3C00 = 1, 0xC000 = -2, 0x7BFF = 65504 (max), 0x0001 = 2^-24 (smallest subnormal)
        MemorySegment f16 =
                MemorySegment.ofArray(new byte[] {0x00, 0x3C, 0x00, (byte) 0xC0, (byte) 0xFF, 0x7B, 0x01, 0x00});
        Weights h = Weights.of(DType.F16, f16);
        assertEquals(4, h.size());
        assertEquals(1f, h.get(0));
        assertEquals(-2f, h.get(1));
        assertEquals(65504f, h.get(2));
        assertEquals(0x1p-24f, h.get(3));
        // BF16: 0x3F80 = 1, 0xC040 = -3, 0x4049 = 3.140625
        MemorySegment bf16 = MemorySegment.ofArray(new byte[] {(byte) 0x80, 0x3F, 0x40, (byte) 0xC0, 0x49, 0x40});
        Weights b = Weights.of(DType.BF16, bf16);
        assertEquals(1f, b.get(0));
        assertEquals(-3f, b.get(1));
        assertEquals(3.140625f, b.get(2));
    }

    @Test
    void readsAtEveryAlignment() {
        float[] values = {1.5f, -2.25f, 3.125f, 1e-3f, -7f};
        try (Arena arena = Arena.ofConfined()) {
            for (DType dtype : DType.values()) {
                if (dtype.quantized()) continue; // whole blocks only: QuantizedWeightsTest
                Weights src = Weights.rounded(dtype, values);
                for (int shift = 0; shift < 8; shift++) {
                    MemorySegment raw = arena.allocate(src.segment().byteSize() + 8, 8)
                            .asSlice(shift, src.segment().byteSize());
                    raw.copyFrom(src.segment());
                    Weights w = Weights.of(dtype, raw);
                    float[] copied = new float[values.length];
                    w.copyTo(0, copied, 0, values.length);
                    for (int i = 0; i < values.length; i++) {
                        assertEquals(src.get(i), w.get(i), dtype + " offset " + shift);
                        assertEquals(src.get(i), copied[i], dtype + " copy offset " + shift);
                    }
                    assertEquals(src.get(3), w.slice(3, 2).get(0));
                }
            }
        }
    }

    @Test
    void roundsToNearestEven() {
        // 1 + 2^-11 lies halfway between F16 1 and 1 + 2^-10: ties to even -> 1.
        assertEquals(1f, Weights.rounded(DType.F16, 1 + 0x1p-11f).get(0));
        // 1 + 2^-8 is halfway for BF16 -> 1; 1 + 3 * 2^-8 -> 1 + 2^-6 (even mantissa).
        assertEquals(1f, Weights.rounded(DType.BF16, 1 + 0x1p-8f).get(0));
        assertEquals(1 + 0x1p-6f, Weights.rounded(DType.BF16, 1 + 3 * 0x1p-8f).get(0));
    }

    @Test
    void refusesPartialElements() {
        assertThrows(IllegalArgumentException.class, () -> Weights.of(DType.F32, MemorySegment.ofArray(new byte[6])));
    }
}
