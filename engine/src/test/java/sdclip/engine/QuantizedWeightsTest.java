package sdclip.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import org.junit.jupiter.api.Test;
import sdclip.testdata.Seeded;

/** Hand-made blocks read as ggml defines them, and the quantizers' round trips. */
class QuantizedWeightsTest {

    private static MemorySegment bytes(int n) {
        return MemorySegment.ofArray(new byte[n]);
    }

    @Test
    void q8_0IsTheScaleTimesEachSignedByte() {
        MemorySegment s = bytes(68); // two blocks
        s.set(Weights.I16_LE, 0, (short) 0x3800); // 0.5
        byte[] q = {-128, -1, 0, 1, 127};
        for (int j = 0; j < q.length; j++) s.set(ValueLayout.JAVA_BYTE, 2 + j, q[j]);
        s.set(Weights.I16_LE, 34, (short) 0xC000); // -2
        s.set(ValueLayout.JAVA_BYTE, 34 + 2 + 31, (byte) 3);
        Weights w = Weights.of(DType.Q8_0, s);
        assertEquals(64, w.size());
        float[] all = new float[64];
        w.copyTo(0, all, 0, 64);
        assertArrayEquals(new float[] {-64, -0.5f, 0, 0.5f, 63.5f}, java.util.Arrays.copyOf(all, 5));
        assertEquals(-6f, all[63]);
        for (int i = 0; i < 64; i++) assertEquals(all[i], w.get(i), "element " + i);
        float[] mid = new float[4];
        w.copyTo(30, mid, 0, 4); // across the block boundary
        assertArrayEquals(java.util.Arrays.copyOfRange(all, 30, 34), mid);
    }

    @Test
    void q4_0LowNibblesThenHighOffsetByEight() {
        MemorySegment s = bytes(18);
        s.set(Weights.I16_LE, 0, (short) 0x4000); // 2
        s.set(ValueLayout.JAVA_BYTE, 2, (byte) 0x1F);
        Weights w = Weights.of(DType.Q4_0, s);
        assertEquals(14f, w.get(0)); // (15 - 8) * 2
        assertEquals(-14f, w.get(16)); // (1 - 8) * 2
        assertEquals(-16f, w.get(1)); // (0 - 8) * 2
    }

    @Test
    void q4_kScalesAndMinimumsUnpackAsGgml() {
        MemorySegment s = bytes(144);
        s.set(Weights.I16_LE, 0, (short) 0x3C00); // d = 1
        s.set(Weights.I16_LE, 2, (short) 0x3800); // dmin = 0.5
        // group 0: sc 2, m 3 (low 6 bits); group 4: sc 33 = 0b100001, m 17 = 0b010001 (high bits in bytes 0 and 4)
        s.set(ValueLayout.JAVA_BYTE, 4, (byte) (2 | (2 << 6)));
        s.set(ValueLayout.JAVA_BYTE, 4 + 4, (byte) (3 | (1 << 6)));
        s.set(ValueLayout.JAVA_BYTE, 4 + 8, (byte) (1 | (1 << 4)));
        s.set(ValueLayout.JAVA_BYTE, 16, (byte) 0x05); // value 0: q 5, value 32 (group 1): q 0
        s.set(ValueLayout.JAVA_BYTE, 16 + 64, (byte) 0x07); // value 128 (group 4): q 7
        Weights w = Weights.of(DType.Q4_K, s);
        assertEquals(2 * 5 - 1.5f, w.get(0));
        assertEquals(33 * 7 - 8.5f, w.get(128));
    }

    @Test
    void quantizersRoundTripWithinTheirStep() {
        float[] x = new Seeded(5).uniform(1024, 1f);
        Weights q8 = QuantizedWeights.quantize(DType.Q8_0, x);
        for (int i = 0; i < x.length; i++) assertEquals(x[i], q8.get(i), 1f / 127, "Q8_0 " + i);
        for (DType t : new DType[] {DType.Q4_0, DType.Q4_K}) {
            Weights q = QuantizedWeights.quantize(t, x);
            double err = 0, norm = 0;
            for (int i = 0; i < x.length; i++) {
                err += (x[i] - q.get(i)) * (x[i] - q.get(i));
                norm += x[i] * x[i];
            }
            // uniform values, 16 levels: the rms error is about (2/15)/sqrt(12) = 0.04, relative 0.07
            assertTrue(Math.sqrt(err / norm) < 0.08, t + " relative rms error " + Math.sqrt(err / norm));
        }
        assertEquals(34 * 32, ((QuantizedWeights) q8).segment().byteSize());
    }

    @Test
    void slicesAndViewsAreWholeBlocks() {
        Weights w = Weights.of(DType.Q8_0, bytes(68));
        assertEquals(32, w.slice(32, 32).size());
        assertThrows(IllegalArgumentException.class, () -> w.slice(16, 32));
        assertThrows(IllegalArgumentException.class, () -> Weights.of(DType.Q8_0, bytes(35)));
        assertThrows(IllegalArgumentException.class, () -> QuantizedWeights.quantize(DType.Q8_0, new float[31]));
        assertThrows(IllegalArgumentException.class, () -> QuantizedWeights.quantize(DType.Q6_K, new float[256]));
    }
}
