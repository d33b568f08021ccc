package sdclip.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import sdclip.engine.DType;
import sdclip.engine.QuantizedFixtures;
import sdclip.engine.Weights;

/** A quantized layer's packed panels hold about its quantized size, never an F32 (or F16) copy. */
class QuantizedPanelsTest {
    @Test
    void packedPanelsStayQuantized() {
        int out = 768, in = 3072;
        long values = (long) out * in;
        try (CpuBackend cpu = new CpuBackend(1)) {
            for (DType t : new DType[] {DType.Q8_0, DType.Q4_0, DType.Q4_K, DType.Q6_K, DType.F16}) {
                Weights w = QuantizedFixtures.random(t, 1, out * in, 0.1f);
                PackedLinear l = (PackedLinear) cpu.prepareLinear(w, null, out, in);
                long held = l.packed.byteSize();
                // bytes per 32 values: Q8_0 34 (F16 scale, as stored), Q4_0 18, Q4_K 19 (F32 d and dmin per 256), Q6_K
                // as stored
                long expected = switch (t) {
                    case Q8_0 -> values / 32 * 34;
                    case Q4_0 -> values / 32 * 18;
                    case Q4_K -> values / 32 * 19;
                    case Q6_K -> values / 256 * 210;
                    default -> values * 2;
                };
                assertEquals(expected, held, t + " panels");
                assertEquals(0, out % Gemm.NR, "no padding panel in this shape");
            }
        }
    }
}
