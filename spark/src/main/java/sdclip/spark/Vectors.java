package sdclip.spark;

/** Output vectors. */
final class Vectors {
    private Vectors() {}

    /**
     * {@code v / |v|}, the norm summed and taken in double, each value then rounded to float
     * once; null stays null. (A zero vector gives NaNs, as the cosine of one does.)
     */
    static float[] normalized(float[] v) {
        if (v == null) return null;
        double sum = 0;
        for (float x : v) sum += (double) x * x;
        double norm = Math.sqrt(sum);
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) out[i] = (float) (v[i] / norm);
        return out;
    }
}
