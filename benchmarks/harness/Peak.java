import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The register-only FMA peak of one thread: ten independent chains of vector FMAs, nothing loaded
 * or stored; the first two rounds include compilation.
 * {@code java --add-modules jdk.incubator.vector benchmarks/harness/Peak.java}
 */
public class Peak {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    static float run(int n) {
        FloatVector a0 = FloatVector.broadcast(S, 1f), a1 = a0, a2 = a0, a3 = a0, a4 = a0;
        FloatVector a5 = a0, a6 = a0, a7 = a0, a8 = a0, a9 = a0;
        FloatVector x = FloatVector.broadcast(S, 0.999f), y = FloatVector.broadcast(S, 0.0001f);
        for (int i = 0; i < n; i++) {
            a0 = a0.fma(x, y);
            a1 = a1.fma(x, y);
            a2 = a2.fma(x, y);
            a3 = a3.fma(x, y);
            a4 = a4.fma(x, y);
            a5 = a5.fma(x, y);
            a6 = a6.fma(x, y);
            a7 = a7.fma(x, y);
            a8 = a8.fma(x, y);
            a9 = a9.fma(x, y);
        }
        return a0.add(a1).add(a2).add(a3).add(a4).add(a5).add(a6).add(a7).add(a8).add(a9)
                .reduceLanes(VectorOperators.ADD);
    }

    public static void main(String[] args) {
        int n = 100_000_000;
        float sum = 0;
        for (int round = 0; round < 8; round++) {
            long t = System.nanoTime();
            sum += run(n);
            double seconds = (System.nanoTime() - t) / 1e9;
            System.out.printf(
                    "%s %.1f GFLOP/s (%d floats per vector)%n",
                    round < 2 ? "(warm-up)" : "         ", 10.0 * n * S.length() * 2 / seconds / 1e9, S.length());
        }
        System.out.println("(" + sum + ")");
    }
}
