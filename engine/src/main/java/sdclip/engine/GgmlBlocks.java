package sdclip.engine;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * One-block dequantization kernels, each the arithmetic of ggml's reference
 * {@code dequantize_row_*} (ggml-quants.c) in the same order, so every value is the same float:
 * products and differences are separate F32 operations (never fused), integer parts are formed
 * first and widened once. Each reads one block at byte {@code at} of {@code src} and writes its
 * values to {@code dst[off..]}.
 */
final class GgmlBlocks {
    private GgmlBlocks() {}

    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private static float f16(MemorySegment s, long at) {
        return Float.float16ToFloat(s.get(I16, at));
    }

    /** One block of {@code dtype} at byte {@code at} of {@code s} into {@code y[off..]}. */
    static void dequantize(DType dtype, MemorySegment s, long at, float[] y, int off) {
        switch (dtype) {
            case Q8_0 -> q8_0(s, at, y, off);
            case Q4_0 -> q4_0(s, at, y, off);
            case Q4_1 -> q4_1(s, at, y, off);
            case Q5_0 -> q5_0(s, at, y, off);
            case Q5_1 -> q5_1(s, at, y, off);
            case Q2_K -> q2_k(s, at, y, off);
            case Q3_K -> q3_k(s, at, y, off);
            case Q4_K -> q4_k(s, at, y, off);
            case Q5_K -> q5_k(s, at, y, off);
            case Q6_K -> q6_k(s, at, y, off);
            case F32, F16, BF16 -> throw new IllegalArgumentException(dtype + " is not block-quantized");
        }
    }

    /** Value {@code j} of the Q8_0 block at {@code at}. */
    static float q8_0(MemorySegment s, long at, int j) {
        return i8(s, at + 2 + j) * f16(s, at);
    }

    private static int u8(MemorySegment s, long at) {
        return s.get(ValueLayout.JAVA_BYTE, at) & 0xFF;
    }

    private static int i8(MemorySegment s, long at) {
        return s.get(ValueLayout.JAVA_BYTE, at);
    }

    /** d (F16), 16 bytes of nibbles: low nibbles are values 0-15, high nibbles 16-31; value = (q - 8) d. */
    static void q4_0(MemorySegment s, long at, float[] y, int off) {
        float d = f16(s, at);
        for (int j = 0; j < 16; j++) {
            int q = u8(s, at + 2 + j);
            y[off + j] = ((q & 0x0F) - 8) * d;
            y[off + j + 16] = ((q >>> 4) - 8) * d;
        }
    }

    /** d, m (F16), 16 bytes of nibbles; value = q d + m. */
    static void q4_1(MemorySegment s, long at, float[] y, int off) {
        float d = f16(s, at), m = f16(s, at + 2);
        for (int j = 0; j < 16; j++) {
            int q = u8(s, at + 4 + j);
            y[off + j] = (q & 0x0F) * d + m;
            y[off + j + 16] = (q >>> 4) * d + m;
        }
    }

    /** d (F16), 32 high bits, 16 bytes of nibbles; value = (q - 16) d. */
    static void q5_0(MemorySegment s, long at, float[] y, int off) {
        float d = f16(s, at);
        int qh = s.get(I32, at + 2);
        for (int j = 0; j < 16; j++) {
            int q = u8(s, at + 6 + j);
            int h0 = ((qh >>> j) << 4) & 0x10, h1 = (qh >>> (j + 12)) & 0x10;
            y[off + j] = (((q & 0x0F) | h0) - 16) * d;
            y[off + j + 16] = (((q >>> 4) | h1) - 16) * d;
        }
    }

    /** d, m (F16), 32 high bits, 16 bytes of nibbles; value = q d + m. */
    static void q5_1(MemorySegment s, long at, float[] y, int off) {
        float d = f16(s, at), m = f16(s, at + 2);
        int qh = s.get(I32, at + 4);
        for (int j = 0; j < 16; j++) {
            int q = u8(s, at + 8 + j);
            int h0 = ((qh >>> j) << 4) & 0x10, h1 = (qh >>> (j + 12)) & 0x10;
            y[off + j] = ((q & 0x0F) | h0) * d + m;
            y[off + j + 16] = ((q >>> 4) | h1) * d + m;
        }
    }

    /** d (F16), 32 signed bytes; value = q d. */
    static void q8_0(MemorySegment s, long at, float[] y, int off) {
        float d = f16(s, at);
        for (int j = 0; j < 32; j++) y[off + j] = i8(s, at + 2 + j) * d;
    }

    /** scales[16] (4-bit scale, 4-bit min), qs[64] (2-bit), d, dmin (F16); value = d sc q - dmin m. */
    static void q2_k(MemorySegment s, long at, float[] y, int off) {
        float d = f16(s, at + 80), min = f16(s, at + 82);
        long q = at + 16;
        int is = 0, o = off;
        for (int n = 0; n < 256; n += 128) {
            for (int shift = 0; shift < 8; shift += 2) {
                for (int half = 0; half < 32; half += 16) {
                    int sc = u8(s, at + is++);
                    float dl = d * (sc & 0x0F), ml = min * (sc >>> 4);
                    for (int l = 0; l < 16; l++) y[o++] = dl * ((u8(s, q + half + l) >>> shift) & 3) - ml;
                }
            }
            q += 32;
        }
    }

    /** hmask[32], qs[64] (low 2 bits), scales[12] (6-bit, packed), d (F16); value = d (sc - 32) (q - 4 unless the high bit is set). */
    static void q3_k(MemorySegment s, long at, float[] y, int off) {
        float dAll = f16(s, at + 108);
        int a0 = s.get(I32, at + 96), a1 = s.get(I32, at + 100), tmp = s.get(I32, at + 104);
        int k1 = 0x03030303, k2 = 0x0f0f0f0f;
        int[] aux = {
            (a0 & k2) | ((tmp & k1) << 4),
            (a1 & k2) | (((tmp >>> 2) & k1) << 4),
            ((a0 >>> 4) & k2) | (((tmp >>> 4) & k1) << 4),
            ((a1 >>> 4) & k2) | (((tmp >>> 6) & k1) << 4)
        };
        long q = at + 32, hm = at;
        int is = 0, m = 1, o = off;
        for (int n = 0; n < 256; n += 128) {
            for (int shift = 0; shift < 8; shift += 2) {
                for (int half = 0; half < 32; half += 16) {
                    int sc = (byte) (aux[is >>> 2] >>> (8 * (is & 3)));
                    is++;
                    float dl = dAll * (sc - 32);
                    for (int l = 0; l < 16; l++) {
                        int low = (u8(s, q + half + l) >>> shift) & 3;
                        y[o++] = dl * (low - ((u8(s, hm + half + l) & m) != 0 ? 0 : 4));
                    }
                }
                m <<= 1;
            }
            q += 32;
        }
    }

    /** Scale or minimum {@code j} (0-7) of a K-quant's 12 packed bytes at {@code sc}: {@code [scale, min]}. */
    static int scaleMin(MemorySegment s, long sc, int j, boolean min) {
        if (j < 4) return u8(s, sc + j + (min ? 4 : 0)) & 63;
        int lowNibbles = u8(s, sc + j + 4);
        int high = u8(s, sc + j - (min ? 0 : 4)) >>> 6;
        return (min ? lowNibbles >>> 4 : lowNibbles & 0x0F) | (high << 4);
    }

    /** d, dmin (F16), scales[12], qs[128] (4-bit); value = d sc q - dmin m per group of 32. */
    static void q4_k(MemorySegment s, long at, float[] y, int off) {
        float d = f16(s, at), min = f16(s, at + 2);
        long sc = at + 4, q = at + 16;
        int o = off;
        for (int is = 0; is < 8; is += 2) {
            float d1 = d * scaleMin(s, sc, is, false), m1 = min * scaleMin(s, sc, is, true);
            float d2 = d * scaleMin(s, sc, is + 1, false), m2 = min * scaleMin(s, sc, is + 1, true);
            for (int l = 0; l < 32; l++) y[o++] = d1 * (u8(s, q + l) & 0x0F) - m1;
            for (int l = 0; l < 32; l++) y[o++] = d2 * (u8(s, q + l) >>> 4) - m2;
            q += 32;
        }
    }

    /** d, dmin (F16), scales[12], qh[32] (fifth bits), qs[128] (low nibbles); value = d sc q - dmin m. */
    static void q5_k(MemorySegment s, long at, float[] y, int off) {
        float d = f16(s, at), min = f16(s, at + 2);
        long sc = at + 4, qh = at + 16, ql = at + 48;
        int o = off, u1 = 1, u2 = 2;
        for (int is = 0; is < 8; is += 2) {
            float d1 = d * scaleMin(s, sc, is, false), m1 = min * scaleMin(s, sc, is, true);
            float d2 = d * scaleMin(s, sc, is + 1, false), m2 = min * scaleMin(s, sc, is + 1, true);
            for (int l = 0; l < 32; l++)
                y[o++] = d1 * ((u8(s, ql + l) & 0x0F) + ((u8(s, qh + l) & u1) != 0 ? 16 : 0)) - m1;
            for (int l = 0; l < 32; l++)
                y[o++] = d2 * ((u8(s, ql + l) >>> 4) + ((u8(s, qh + l) & u2) != 0 ? 16 : 0)) - m2;
            ql += 32;
            u1 <<= 2;
            u2 <<= 2;
        }
    }

    /** ql[128] (low nibbles), qh[64] (2 high bits), scales[16] (signed bytes), d (F16); value = d sc (q - 32). */
    static void q6_k(MemorySegment s, long at, float[] y, int off) {
        float d = f16(s, at + 208);
        long ql = at, qh = at + 128, sc = at + 192;
        for (int n = 0; n < 256; n += 128) {
            for (int l = 0; l < 32; l++) {
                int is = l / 16, h = u8(s, qh + l);
                int lo = u8(s, ql + l), hi = u8(s, ql + l + 32);
                int q1 = ((lo & 0x0F) | ((h & 3) << 4)) - 32;
                int q2 = ((hi & 0x0F) | (((h >>> 2) & 3) << 4)) - 32;
                int q3 = ((lo >>> 4) | (((h >>> 4) & 3) << 4)) - 32;
                int q4 = ((hi >>> 4) | (((h >>> 6) & 3) << 4)) - 32;
                y[off + n + l] = d * i8(s, sc + is) * q1;
                y[off + n + l + 32] = d * i8(s, sc + is + 2) * q2;
                y[off + n + l + 64] = d * i8(s, sc + is + 4) * q3;
                y[off + n + l + 96] = d * i8(s, sc + is + 6) * q4;
            }
            ql += 64;
            qh += 32;
            sc += 8;
        }
    }
}
