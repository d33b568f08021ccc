package sdclip.testdata;

import java.util.SplittableRandom;

/** Reproducible random inputs: every test names its seed. */
public final class Seeded {
    private final SplittableRandom random;

    public Seeded(long seed) {
        this.random = new SplittableRandom(seed);
    }

    /** Uniform values in {@code [-scale, scale)}. */
    public float[] uniform(int n, float scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) ((random.nextDouble() * 2 - 1) * scale);
        return a;
    }

    /** Standard normal values times {@code scale}. */
    public float[] normal(int n, float scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (gaussian() * scale);
        return a;
    }

    public int nextInt(int bound) {
        return random.nextInt(bound);
    }

    private double gaussian() {
        double u = random.nextDouble(), v = random.nextDouble();
        return Math.sqrt(-2 * Math.log(1 - u)) * Math.cos(2 * Math.PI * v);
    }

    /** {@code max |actual - expected| / max |expected|}, the measure the reference README uses. */
    public static double relativeError(float[] actual, float[] expected) {
        if (actual.length != expected.length)
            throw new AssertionError("length " + actual.length + " != " + expected.length);
        double maxDiff = 0, maxRef = 0;
        for (int i = 0; i < expected.length; i++) {
            if (Float.isNaN(actual[i]) != Float.isNaN(expected[i])) return Double.POSITIVE_INFINITY;
            maxDiff = Math.max(maxDiff, Math.abs((double) actual[i] - expected[i]));
            maxRef = Math.max(maxRef, Math.abs(expected[i]));
        }
        return maxRef == 0 ? maxDiff : maxDiff / maxRef;
    }
}
