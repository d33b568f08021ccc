package sdclip.engine;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Quantizes F32 values into ggml blocks: {@code Q8_0} and {@code Q4_0} with the arithmetic of
 * ggml's reference {@code quantize_row_*_ref}; {@code Q4_K} in ggml's block format with a
 * simpler scale search (a min/max start refined by least squares) than ggml's
 * {@code make_qkx2_quants}.
 */
final class GgmlQuantizer {
    private GgmlQuantizer() {}

    /** {@code count} values from {@code x[from..]} (whole blocks) into {@code out} from byte {@code at}. */
    static void quantize(DType dtype, float[] x, int from, int count, MemorySegment out, long at) {
        int bs = dtype.blockSize();
        for (int b = 0; b < count / bs; b++) {
            long o = at + (long) b * dtype.blockBytes();
            int i = from + b * bs;
            switch (dtype) {
                case Q8_0 -> q8_0(x, i, out, o);
                case Q4_0 -> q4_0(x, i, out, o);
                case Q4_K -> q4_k(x, i, out, o);
                default -> throw new IllegalArgumentException("sdclip does not quantize to " + dtype);
            }
        }
    }

    private static void f16(MemorySegment s, long at, float v) {
        s.set(Weights.I16_LE, at, Float.floatToFloat16(v));
    }

    /** amax / 127 as the scale, each value rounded half away from zero (C's roundf). */
    private static void q8_0(float[] x, int i, MemorySegment s, long at) {
        float amax = 0;
        for (int j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[i + j]));
        float d = amax / 127, id = d != 0 ? 1 / d : 0;
        f16(s, at, d);
        for (int j = 0; j < 32; j++) s.set(ValueLayout.JAVA_BYTE, at + 2 + j, (byte) roundf(x[i + j] * id));
    }

    /** The signed value of largest magnitude maps to -8; quants are truncated after adding 8.5. */
    private static void q4_0(float[] x, int i, MemorySegment s, long at) {
        float amax = 0, max = 0;
        for (int j = 0; j < 32; j++) {
            if (amax < Math.abs(x[i + j])) {
                amax = Math.abs(x[i + j]);
                max = x[i + j];
            }
        }
        float d = max / -8, id = d != 0 ? 1 / d : 0;
        f16(s, at, d);
        for (int j = 0; j < 16; j++) {
            int q0 = Math.min(15, (int) (byte) (int) (x[i + j] * id + 8.5f));
            int q1 = Math.min(15, (int) (byte) (int) (x[i + j + 16] * id + 8.5f));
            s.set(ValueLayout.JAVA_BYTE, at + 2 + j, (byte) (q0 | (q1 << 4)));
        }
    }

    private static float roundf(float v) {
        return (float) (v < 0 ? -Math.floor(-v + 0.5) : Math.floor(v + 0.5));
    }

    /**
     * Eight groups of 32 as {@code d sc q - dmin m}: each group's scale and minimum start from its
     * range and are refined twice by least squares over the chosen quants; then they are
     * quantized to 6 bits against the block's F16 {@code d} and {@code dmin}, and the quants chosen
     * again for the scales as stored.
     */
    private static void q4_k(float[] x, int i, MemorySegment s, long at) {
        float[] scale = new float[8], min = new float[8];
        for (int g = 0; g < 8; g++) {
            int o = i + g * 32;
            float lo = 0, hi = 0;
            for (int l = 0; l < 32; l++) {
                lo = Math.min(lo, x[o + l]);
                hi = Math.max(hi, x[o + l]);
            }
            float sc = (hi - lo) / 15, mn = -lo;
            for (int iter = 0; iter < 2 && sc > 0; iter++) {
                // least squares of x = sc q - mn over the current quants
                double sq = 0, sqq = 0, sx = 0, sxq = 0;
                for (int l = 0; l < 32; l++) {
                    int q = Math.clamp(Math.round((x[o + l] + mn) / sc), 0, 15);
                    sq += q;
                    sqq += (double) q * q;
                    sx += x[o + l];
                    sxq += (double) x[o + l] * q;
                }
                double det = 32 * sqq - sq * sq;
                if (det <= 0) break;
                double a = (32 * sxq - sq * sx) / det, b = (sqq * sx - sq * sxq) / det;
                if (a <= 0 || b > 0) break; // keep the minimum at or below zero, as ggml does
                sc = (float) a;
                mn = (float) -b;
            }
            scale[g] = sc;
            min[g] = mn;
        }
        float maxScale = 0, maxMin = 0;
        for (int g = 0; g < 8; g++) {
            maxScale = Math.max(maxScale, scale[g]);
            maxMin = Math.max(maxMin, min[g]);
        }
        short dBits = Float.floatToFloat16(maxScale / 63), mBits = Float.floatToFloat16(maxMin / 63);
        float d = Float.float16ToFloat(dBits), dmin = Float.float16ToFloat(mBits);
        int[] sc = new int[8], m = new int[8];
        for (int g = 0; g < 8; g++) {
            sc[g] = d > 0 ? Math.clamp(Math.round(scale[g] / d), 0, 63) : 0;
            m[g] = dmin > 0 ? Math.clamp(Math.round(min[g] / dmin), 0, 63) : 0;
        }
        s.set(Weights.I16_LE, at, dBits);
        s.set(Weights.I16_LE, at + 2, mBits);
        byte[] packed = new byte[12];
        for (int j = 0; j < 8; j++) {
            if (j < 4) {
                packed[j] = (byte) sc[j];
                packed[j + 4] = (byte) m[j];
            } else {
                packed[j + 4] = (byte) ((sc[j] & 0xF) | ((m[j] & 0xF) << 4));
                packed[j - 4] |= (byte) ((sc[j] >> 4) << 6);
                packed[j] |= (byte) ((m[j] >> 4) << 6);
            }
        }
        MemorySegment.copy(packed, 0, s, ValueLayout.JAVA_BYTE, at + 4, 12);
        for (int pair = 0; pair < 4; pair++) {
            for (int l = 0; l < 32; l++) {
                int lo = nibble(x[i + pair * 64 + l], d * sc[2 * pair], dmin * m[2 * pair]);
                int hi = nibble(x[i + pair * 64 + 32 + l], d * sc[2 * pair + 1], dmin * m[2 * pair + 1]);
                s.set(ValueLayout.JAVA_BYTE, at + 16 + pair * 32 + l, (byte) (lo | (hi << 4)));
            }
        }
    }

    private static int nibble(float x, float d1, float m1) {
        return d1 > 0 ? Math.clamp(Math.round((x + m1) / d1), 0, 15) : 0;
    }
}
