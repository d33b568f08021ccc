import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Micro-kernel shapes with their operands in L1, one thread, GFLOP/s: 6 rows x 2 vectors (12
 * accumulators, MLAS's FMA3 shape), the same with the activations stored pre-broadcast (plain
 * vector loads, 14 registers), 5 x 2 (10 accumulators), 4 x 2 (8) and 3 x 3 (9). On 16 registers
 * C2 loads all of a step's broadcasts ahead and keeps an accumulator of the first three on the
 * stack; the last two fit. The first two rounds include compilation. Compare with Peak.java.
 * {@code java --add-modules jdk.incubator.vector benchmarks/harness/KernelShapes.java}
 */
public class KernelShapes {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int L = S.length(), NR = 2 * L;

    static void k6(float[] a, int a0, float[] b, int kc, float[] c, int c0) {
        FloatVector c00 = FloatVector.fromArray(S, c, c0), c01 = FloatVector.fromArray(S, c, c0 + L);
        FloatVector c10 = FloatVector.fromArray(S, c, c0 + NR), c11 = FloatVector.fromArray(S, c, c0 + NR + L);
        FloatVector c20 = FloatVector.fromArray(S, c, c0 + 2 * NR), c21 = FloatVector.fromArray(S, c, c0 + 2 * NR + L);
        FloatVector c30 = FloatVector.fromArray(S, c, c0 + 3 * NR), c31 = FloatVector.fromArray(S, c, c0 + 3 * NR + L);
        FloatVector c40 = FloatVector.fromArray(S, c, c0 + 4 * NR), c41 = FloatVector.fromArray(S, c, c0 + 4 * NR + L);
        FloatVector c50 = FloatVector.fromArray(S, c, c0 + 5 * NR), c51 = FloatVector.fromArray(S, c, c0 + 5 * NR + L);
        for (int k = 0; k < kc; k++) {
            int bk = k * NR, ak = a0 + k * 6;
            FloatVector w0 = FloatVector.fromArray(S, b, bk), w1 = FloatVector.fromArray(S, b, bk + L);
            FloatVector x;
            x = FloatVector.broadcast(S, a[ak]); c00 = w0.fma(x, c00); c01 = w1.fma(x, c01);
            x = FloatVector.broadcast(S, a[ak + 1]); c10 = w0.fma(x, c10); c11 = w1.fma(x, c11);
            x = FloatVector.broadcast(S, a[ak + 2]); c20 = w0.fma(x, c20); c21 = w1.fma(x, c21);
            x = FloatVector.broadcast(S, a[ak + 3]); c30 = w0.fma(x, c30); c31 = w1.fma(x, c31);
            x = FloatVector.broadcast(S, a[ak + 4]); c40 = w0.fma(x, c40); c41 = w1.fma(x, c41);
            x = FloatVector.broadcast(S, a[ak + 5]); c50 = w0.fma(x, c50); c51 = w1.fma(x, c51);
        }
        c00.intoArray(c, c0); c01.intoArray(c, c0 + L);
        c10.intoArray(c, c0 + NR); c11.intoArray(c, c0 + NR + L);
        c20.intoArray(c, c0 + 2 * NR); c21.intoArray(c, c0 + 2 * NR + L);
        c30.intoArray(c, c0 + 3 * NR); c31.intoArray(c, c0 + 3 * NR + L);
        c40.intoArray(c, c0 + 4 * NR); c41.intoArray(c, c0 + 4 * NR + L);
        c50.intoArray(c, c0 + 5 * NR); c51.intoArray(c, c0 + 5 * NR + L);
    }

    /** 6x2 with A pre-broadcast: a holds [k][6][L], so each row's value is a plain vector load. */
    static void k6v(float[] a, int a0, float[] b, int kc, float[] c, int c0) {
        FloatVector c00 = FloatVector.fromArray(S, c, c0), c01 = FloatVector.fromArray(S, c, c0 + L);
        FloatVector c10 = FloatVector.fromArray(S, c, c0 + NR), c11 = FloatVector.fromArray(S, c, c0 + NR + L);
        FloatVector c20 = FloatVector.fromArray(S, c, c0 + 2 * NR), c21 = FloatVector.fromArray(S, c, c0 + 2 * NR + L);
        FloatVector c30 = FloatVector.fromArray(S, c, c0 + 3 * NR), c31 = FloatVector.fromArray(S, c, c0 + 3 * NR + L);
        FloatVector c40 = FloatVector.fromArray(S, c, c0 + 4 * NR), c41 = FloatVector.fromArray(S, c, c0 + 4 * NR + L);
        FloatVector c50 = FloatVector.fromArray(S, c, c0 + 5 * NR), c51 = FloatVector.fromArray(S, c, c0 + 5 * NR + L);
        for (int k = 0; k < kc; k++) {
            int bk = k * NR, ak = a0 + k * 6 * L;
            FloatVector w0 = FloatVector.fromArray(S, b, bk), w1 = FloatVector.fromArray(S, b, bk + L);
            FloatVector x;
            x = FloatVector.fromArray(S, a, ak); c00 = w0.fma(x, c00); c01 = w1.fma(x, c01);
            x = FloatVector.fromArray(S, a, ak + L); c10 = w0.fma(x, c10); c11 = w1.fma(x, c11);
            x = FloatVector.fromArray(S, a, ak + 2 * L); c20 = w0.fma(x, c20); c21 = w1.fma(x, c21);
            x = FloatVector.fromArray(S, a, ak + 3 * L); c30 = w0.fma(x, c30); c31 = w1.fma(x, c31);
            x = FloatVector.fromArray(S, a, ak + 4 * L); c40 = w0.fma(x, c40); c41 = w1.fma(x, c41);
            x = FloatVector.fromArray(S, a, ak + 5 * L); c50 = w0.fma(x, c50); c51 = w1.fma(x, c51);
        }
        c00.intoArray(c, c0); c01.intoArray(c, c0 + L);
        c10.intoArray(c, c0 + NR); c11.intoArray(c, c0 + NR + L);
        c20.intoArray(c, c0 + 2 * NR); c21.intoArray(c, c0 + 2 * NR + L);
        c30.intoArray(c, c0 + 3 * NR); c31.intoArray(c, c0 + 3 * NR + L);
        c40.intoArray(c, c0 + 4 * NR); c41.intoArray(c, c0 + 4 * NR + L);
        c50.intoArray(c, c0 + 5 * NR); c51.intoArray(c, c0 + 5 * NR + L);
    }

    static void k5(float[] a, int a0, float[] b, int kc, float[] c, int c0) {
        FloatVector c00 = FloatVector.fromArray(S, c, c0), c01 = FloatVector.fromArray(S, c, c0 + L);
        FloatVector c10 = FloatVector.fromArray(S, c, c0 + NR), c11 = FloatVector.fromArray(S, c, c0 + NR + L);
        FloatVector c20 = FloatVector.fromArray(S, c, c0 + 2 * NR), c21 = FloatVector.fromArray(S, c, c0 + 2 * NR + L);
        FloatVector c30 = FloatVector.fromArray(S, c, c0 + 3 * NR), c31 = FloatVector.fromArray(S, c, c0 + 3 * NR + L);
        FloatVector c40 = FloatVector.fromArray(S, c, c0 + 4 * NR), c41 = FloatVector.fromArray(S, c, c0 + 4 * NR + L);
        for (int k = 0; k < kc; k++) {
            int bk = k * NR, ak = a0 + k * 5;
            FloatVector w0 = FloatVector.fromArray(S, b, bk), w1 = FloatVector.fromArray(S, b, bk + L);
            FloatVector x;
            x = FloatVector.broadcast(S, a[ak]); c00 = w0.fma(x, c00); c01 = w1.fma(x, c01);
            x = FloatVector.broadcast(S, a[ak + 1]); c10 = w0.fma(x, c10); c11 = w1.fma(x, c11);
            x = FloatVector.broadcast(S, a[ak + 2]); c20 = w0.fma(x, c20); c21 = w1.fma(x, c21);
            x = FloatVector.broadcast(S, a[ak + 3]); c30 = w0.fma(x, c30); c31 = w1.fma(x, c31);
            x = FloatVector.broadcast(S, a[ak + 4]); c40 = w0.fma(x, c40); c41 = w1.fma(x, c41);
        }
        c00.intoArray(c, c0); c01.intoArray(c, c0 + L);
        c10.intoArray(c, c0 + NR); c11.intoArray(c, c0 + NR + L);
        c20.intoArray(c, c0 + 2 * NR); c21.intoArray(c, c0 + 2 * NR + L);
        c30.intoArray(c, c0 + 3 * NR); c31.intoArray(c, c0 + 3 * NR + L);
        c40.intoArray(c, c0 + 4 * NR); c41.intoArray(c, c0 + 4 * NR + L);
    }

    static void k4x2(float[] a, int a0, float[] b, int kc, float[] c, int c0) {
        int N = 2 * L;
        FloatVector c00 = FloatVector.fromArray(S, c, c0), c01 = FloatVector.fromArray(S, c, c0 + L);
        FloatVector c10 = FloatVector.fromArray(S, c, c0 + N), c11 = FloatVector.fromArray(S, c, c0 + N + L);
        FloatVector c20 = FloatVector.fromArray(S, c, c0 + 2 * N), c21 = FloatVector.fromArray(S, c, c0 + 2 * N + L);
        FloatVector c30 = FloatVector.fromArray(S, c, c0 + 3 * N), c31 = FloatVector.fromArray(S, c, c0 + 3 * N + L);
        for (int k = 0; k < kc; k++) {
            int bk = k * N, ak = a0 + k * 4;
            FloatVector w0 = FloatVector.fromArray(S, b, bk), w1 = FloatVector.fromArray(S, b, bk + L);
            FloatVector x;
            x = FloatVector.broadcast(S, a[ak]); c00 = w0.fma(x, c00); c01 = w1.fma(x, c01);
            x = FloatVector.broadcast(S, a[ak + 1]); c10 = w0.fma(x, c10); c11 = w1.fma(x, c11);
            x = FloatVector.broadcast(S, a[ak + 2]); c20 = w0.fma(x, c20); c21 = w1.fma(x, c21);
            x = FloatVector.broadcast(S, a[ak + 3]); c30 = w0.fma(x, c30); c31 = w1.fma(x, c31);
        }
        c00.intoArray(c, c0); c01.intoArray(c, c0 + L);
        c10.intoArray(c, c0 + N); c11.intoArray(c, c0 + N + L);
        c20.intoArray(c, c0 + 2 * N); c21.intoArray(c, c0 + 2 * N + L);
        c30.intoArray(c, c0 + 3 * N); c31.intoArray(c, c0 + 3 * N + L);
    }

    static void k3x3(float[] a, int a0, float[] b, int kc, float[] c, int c0) {
        int N = 3 * L;
        FloatVector c00 = FloatVector.fromArray(S, c, c0), c01 = FloatVector.fromArray(S, c, c0 + L), c02 = FloatVector.fromArray(S, c, c0 + 2 * L);
        FloatVector c10 = FloatVector.fromArray(S, c, c0 + N), c11 = FloatVector.fromArray(S, c, c0 + N + L), c12 = FloatVector.fromArray(S, c, c0 + N + 2 * L);
        FloatVector c20 = FloatVector.fromArray(S, c, c0 + 2 * N), c21 = FloatVector.fromArray(S, c, c0 + 2 * N + L), c22 = FloatVector.fromArray(S, c, c0 + 2 * N + 2 * L);
        for (int k = 0; k < kc; k++) {
            int bk = k * N, ak = a0 + k * 3;
            FloatVector w0 = FloatVector.fromArray(S, b, bk), w1 = FloatVector.fromArray(S, b, bk + L), w2 = FloatVector.fromArray(S, b, bk + 2 * L);
            FloatVector x;
            x = FloatVector.broadcast(S, a[ak]); c00 = w0.fma(x, c00); c01 = w1.fma(x, c01); c02 = w2.fma(x, c02);
            x = FloatVector.broadcast(S, a[ak + 1]); c10 = w0.fma(x, c10); c11 = w1.fma(x, c11); c12 = w2.fma(x, c12);
            x = FloatVector.broadcast(S, a[ak + 2]); c20 = w0.fma(x, c20); c21 = w1.fma(x, c21); c22 = w2.fma(x, c22);
        }
        c00.intoArray(c, c0); c01.intoArray(c, c0 + L); c02.intoArray(c, c0 + 2 * L);
        c10.intoArray(c, c0 + N); c11.intoArray(c, c0 + N + L); c12.intoArray(c, c0 + N + 2 * L);
        c20.intoArray(c, c0 + 2 * N); c21.intoArray(c, c0 + 2 * N + L); c22.intoArray(c, c0 + 2 * N + 2 * L);
    }

    public static void main(String[] args) {
        int kc = 256, reps = 400_000;
        float[] a = new float[kc * 6 * L], b = new float[kc * 3 * L], c = new float[12 * 3 * L];
        for (int i = 0; i < a.length; i++) a[i] = (i % 7) * 0.01f;
        for (int i = 0; i < b.length; i++) b[i] = (i % 5) * 0.01f;
        for (int round = 0; round < 8; round++) {
            long t0 = System.nanoTime();
            for (int i = 0; i < reps; i++) k6(a, 0, b, kc, c, 0);
            long t1 = System.nanoTime();
            for (int i = 0; i < reps; i++) k6v(a, 0, b, kc, c, 0);
            long t2 = System.nanoTime();
            for (int i = 0; i < reps; i++) k5(a, 0, b, kc, c, 0);
            long t3 = System.nanoTime();
            for (int i = 0; i < reps; i++) k4x2(a, 0, b, kc, c, 0);
            long t4 = System.nanoTime();
            for (int i = 0; i < reps; i++) k3x3(a, 0, b, kc, c, 0);
            long t5 = System.nanoTime();
            double unit = 2.0 * kc * L * reps; // FLOPs of one row x one vector
            System.out.printf(
                    "%s 6x2: %.1f  6x2 pre-broadcast: %.1f  5x2: %.1f  4x2: %.1f  3x3: %.1f%n",
                    round < 2 ? "(warm-up)" : "         ",
                    12 * unit / (t1 - t0), 12 * unit / (t2 - t1), 10 * unit / (t3 - t2), 8 * unit / (t4 - t3),
                    9 * unit / (t5 - t4));
        }
        System.out.println("(" + c[0] + ")");
    }
}
