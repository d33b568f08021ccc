package sdclip.engine.support;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;

import sdclip.engine.DType;
import sdclip.engine.QuantizedWeights;
import sdclip.engine.Weights;

/**
 * Block-quantized weights packed into column panels of {@code nr} outputs, still quantized, so a
 * panel block dequantizes with contiguous loads (as F16 panels widen). {@code Q8_0}, {@code Q4_0}
 * and {@code Q4_K} are unpacked at load into a transposed layout whose groups of 32 inputs hold,
 * per output, the group's scale (and minimum) followed by the quants as {@code [k][nr]} bytes:
 *
 * <ul>
 *   <li>{@code Q8_0}, per 32 inputs: {@code nr} F16 scales (as stored: F32 ones would make the packed
 *       copy 6% larger), then 32 x {@code nr} signed bytes.
 *   <li>{@code Q4_0}, per 32 inputs: {@code nr} F16 scales, then 16 x {@code nr} bytes whose low nibble is input
 *       {@code r} and high nibble input {@code r + 16}, as in ggml's block.
 *   <li>{@code Q4_K}, per 256 inputs: {@code nr} F32 {@code d}, {@code nr} F32 {@code dmin}, 8 x {@code nr} 6-bit scales,
 *       8 x {@code nr} 6-bit minimums, then 128 x {@code nr} bytes of nibbles as ggml orders them (byte row
 *       {@code 32 p + l}: input {@code 64 p + l} low, {@code 64 p + 32 + l} high).
 * </ul>
 *
 * Every other quantized format keeps its ggml blocks, block {@code b} of output {@code j} at
 * {@code (b nr + j)} blocks, and dequantizes block by block (correct, not fast). Values are the
 * floats ggml's {@code dequantize_row_*} gives: each product and difference a separate F32 operation.
 */
public final class QuantPanels {
    private QuantPanels() {}

    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Inputs per group of a transposed layout. */
    public static final int GROUP = 32;

    /** {@return whether {@code t} has a transposed panel layout (the fast path)} */
    public static boolean transposed(DType t) {
        return t == DType.Q8_0 || t == DType.Q4_0 || t == DType.Q4_K;
    }

    /** {@return the bytes of one panel of {@code nr} outputs by {@code in} inputs (a whole number of blocks)} */
    public static long panelBytes(DType t, int in, int nr) {
        return switch (t) {
            case Q8_0 -> (long) in / 32 * nr * (2 + 32);
            case Q4_0 -> (long) in / 32 * nr * (2 + 16);
            case Q4_K -> (long) in / 256 * nr * (8 + 16 + 128);
            default -> (long) in / t.blockSize() * nr * t.blockBytes();
        };
    }

    /** Per-thread buffers for packing and dequantizing. */
    public static final class Scratch {
        byte[] panel = new byte[0];
        final float[] rowValues = new float[256];
        float[] d1 = new float[0], m1 = new float[0];
        byte[] quants = new byte[0];
        short[] scaleBits = new short[0];
        byte[] groupQuants = new byte[0];

        /** Empty buffers, grown on first use. */
        public Scratch() {}

        /** {@return a buffer of at least {@code bytes} bytes for one group's quants} */
        public byte[] groupQuants(int bytes) {
            return groupQuants.length >= bytes ? groupQuants : (groupQuants = new byte[bytes]);
        }

        /** {@return the current group's scales, or {@code d * sc} for Q4_K, one per output} */
        public float[] d1() {
            return d1;
        }

        /** {@return the current group's {@code dmin * m} for Q4_K, one per output} */
        public float[] m1() {
            return m1;
        }

        byte[] panel(long bytes) {
            return panel.length >= bytes ? panel : (panel = new byte[Math.toIntExact(bytes)]);
        }

        /** {@code nr} group scales, minimums and one row of quants, grown on demand. */
        void ensure(int nr) {
            if (d1.length < nr) {
                d1 = new float[nr];
                m1 = new float[nr];
                quants = new byte[nr];
                scaleBits = new short[nr];
            }
        }
    }

    /**
     * Packs one panel: output {@code j < rows} of the panel from {@code row(j)}, its stored blocks
     * ({@code in} values), the rest zero; written to {@code dst} ({@link #panelBytes} long) in one copy.
     */
    public static void pack(
            DType t,
            int in,
            int nr,
            int rows,
            java.util.function.IntFunction<Weights> row,
            MemorySegment dst,
            Scratch s) {
        if (in % t.blockSize() != 0)
            throw new IllegalArgumentException(
                    "a " + t + " linear needs rows of whole blocks of " + t.blockSize() + ", not " + in + " inputs");
        int size = (int) panelBytes(t, in, nr);
        byte[] p = s.panel(size);
        Arrays.fill(p, 0, size, (byte) 0);
        MemorySegment buf = MemorySegment.ofArray(p);
        int bb = t.blockBytes(), blocks = in / t.blockSize();
        for (int j = 0; j < rows; j++) {
            MemorySegment src = row.apply(j).segment();
            for (int b = 0; b < blocks; b++) {
                long at = (long) b * bb;
                switch (t) {
                    case Q8_0 -> {
                        int g = b * nr * 34;
                        buf.set(Weights.I16_LE, g + 2L * j, src.get(Weights.I16_LE, at));
                        for (int k = 0; k < 32; k++)
                            p[g + 2 * nr + k * nr + j] = src.get(ValueLayout.JAVA_BYTE, at + 2 + k);
                    }
                    case Q4_0 -> {
                        int g = b * nr * 18;
                        buf.set(Weights.I16_LE, g + 2L * j, src.get(Weights.I16_LE, at));
                        for (int r = 0; r < 16; r++)
                            p[g + 2 * nr + r * nr + j] = src.get(ValueLayout.JAVA_BYTE, at + 2 + r);
                    }
                    case Q4_K -> {
                        int g = b * nr * 152;
                        buf.set(F32, g + 4L * j, f16(src, at));
                        buf.set(F32, g + 4L * (nr + j), f16(src, at + 2));
                        for (int grp = 0; grp < 8; grp++) {
                            p[g + 8 * nr + grp * nr + j] = (byte) scaleMin(src, at + 4, grp, false);
                            p[g + 16 * nr + grp * nr + j] = (byte) scaleMin(src, at + 4, grp, true);
                        }
                        for (int r = 0; r < 128; r++)
                            p[g + 24 * nr + r * nr + j] = src.get(ValueLayout.JAVA_BYTE, at + 16 + r);
                    }
                    default -> MemorySegment.copy(src, at, buf, ((long) b * nr + j) * bb, bb);
                }
            }
        }
        MemorySegment.copy(buf, 0, dst, 0, size);
    }

    private static float f16(MemorySegment s, long at) {
        return Float.float16ToFloat(s.get(Weights.I16_LE, at));
    }

    /** Scale or minimum {@code j} (0-7) of a K-quant's 12 packed bytes at {@code sc}, as ggml's {@code get_scale_min_k4}. */
    private static int scaleMin(MemorySegment s, long sc, int j, boolean min) {
        if (j < 4) return u8(s, sc + j + (min ? 4 : 0)) & 63;
        int lowNibbles = u8(s, sc + j + 4);
        int high = u8(s, sc + j - (min ? 0 : 4)) >>> 6;
        return (min ? lowNibbles >>> 4 : lowNibbles & 0x0F) | (high << 4);
    }

    private static int u8(MemorySegment s, long at) {
        return s.get(ValueLayout.JAVA_BYTE, at) & 0xFF;
    }

    /**
     * Group {@code k / 32}'s per-output factors into {@code s.d1} (and {@code s.m1} for Q4_K): the
     * scale, or {@code d * sc} and {@code dmin * m} for Q4_K, as ggml forms them.
     *
     * @return the byte offset, within the panel, of the group's first row of quants
     */
    public static long group(DType t, MemorySegment panel, int nr, int k, Scratch s) {
        s.ensure(nr);
        switch (t) {
            case Q8_0, Q4_0 -> {
                long g = (long) (k / 32) * nr * (t == DType.Q8_0 ? 34 : 18);
                MemorySegment.copy(panel, Weights.I16_LE, g, s.scaleBits, 0, nr);
                for (int j = 0; j < nr; j++) s.d1[j] = Float.float16ToFloat(s.scaleBits[j]);
                return g + 2L * nr;
            }
            case Q4_K -> {
                long g = (long) (k / 256) * nr * 152;
                int grp = k % 256 / 32;
                MemorySegment.copy(panel, F32, g, s.d1, 0, nr);
                MemorySegment.copy(panel, F32, g + 4L * nr, s.m1, 0, nr);
                for (int j = 0; j < nr; j++) {
                    s.d1[j] = s.d1[j] * u8(panel, g + 8L * nr + (long) grp * nr + j);
                    s.m1[j] = s.m1[j] * u8(panel, g + 16L * nr + (long) grp * nr + j);
                }
                return g + 24L * nr;
            }
            default -> throw new IllegalArgumentException(t + " has no transposed panel layout");
        }
    }

    /** {@return the byte offset, within a group's quants (from {@link #group}), of input {@code k}'s row of {@code nr}} */
    public static long quantRow(DType t, int nr, int k) {
        return switch (t) {
            case Q8_0 -> (long) (k % 32) * nr;
            case Q4_0 -> (long) (k % 16) * nr;
            default -> (long) (k % 256 / 64 * 32 + k % 32) * nr; // Q4_K
        };
    }

    /** {@return whether input {@code k}'s quant is the high nibble of its byte (4-bit formats)} */
    public static boolean highNibble(DType t, int k) {
        return t == DType.Q4_0 ? k % 32 >= 16 : k % 64 >= 32;
    }

    /**
     * Inputs {@code [k0, k0 + kc)} of one panel dequantized into {@code dst}, input {@code k} at
     * {@code dst[(k - k0) * nr ..]}: plain loops, the oracle for vectorized versions.
     */
    public static void block(DType t, MemorySegment panel, int nr, int k0, int kc, float[] dst, Scratch s) {
        if (!transposed(t)) {
            generic(t, panel, nr, k0, kc, dst, s);
            return;
        }
        long quants = 0;
        for (int k = k0; k < k0 + kc; k++) {
            if (k == k0 || k % 32 == 0) quants = group(t, panel, nr, k, s);
            MemorySegment.copy(panel, ValueLayout.JAVA_BYTE, quants + quantRow(t, nr, k), s.quants, 0, nr);
            row(t, highNibble(t, k), s, nr, dst, (k - k0) * nr);
        }
    }

    private static void row(DType t, boolean high, Scratch s, int nr, float[] dst, int off) {
        byte[] q = s.quants;
        float[] d = s.d1, m = s.m1;
        int shift = high ? 4 : 0;
        switch (t) {
            case Q8_0 -> {
                for (int j = 0; j < nr; j++) dst[off + j] = q[j] * d[j];
            }
            case Q4_0 -> {
                for (int j = 0; j < nr; j++) dst[off + j] = (((q[j] >> shift) & 0xF) - 8) * d[j];
            }
            default -> {
                for (int j = 0; j < nr; j++) dst[off + j] = d[j] * ((q[j] >> shift) & 0xF) - m[j];
            }
        }
    }

    private static void generic(DType t, MemorySegment panel, int nr, int k0, int kc, float[] dst, Scratch s) {
        int bs = t.blockSize();
        float[] v = s.rowValues;
        for (int b = k0 / bs; b * bs < k0 + kc; b++) {
            int from = Math.max(k0, b * bs), to = Math.min(k0 + kc, (b + 1) * bs);
            for (int j = 0; j < nr; j++) {
                QuantizedWeights.dequantize(t, panel, ((long) b * nr + j) * t.blockBytes(), v, 0);
                for (int k = from; k < to; k++) dst[(k - k0) * nr + j] = v[k - b * bs];
            }
        }
    }
}
