package sdclip.model.prompt;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Random;

import org.junit.jupiter.api.Test;

/** {@link Emphasis} and {@link ComfyWeighting} against float64 computations written from the formulas. */
class WeightingTest {
    static final int ROWS = 5, WIDTH = 4;

    static float[] random(Random r, int n, double offset) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (r.nextGaussian() * 2 + offset);
        return a;
    }

    static final float[] WEIGHTS = {1f, 1.1f, (float) (1 / 1.1), 1.5f, 1f};

    @Test
    void originalMatchesFloat64() {
        Random r = new Random(7);
        for (int trial = 0; trial < 20; trial++) {
            float[] z = random(r, ROWS * WIDTH, 0.5);
            float[] out = Emphasis.ORIGINAL.apply(z, WEIGHTS);
            double before = 0, after = 0;
            double[] weighted = new double[z.length];
            for (int i = 0; i < z.length; i++) {
                weighted[i] = (double) z[i] * WEIGHTS[i / WIDTH];
                before += z[i];
                after += weighted[i];
            }
            double scale = (before / z.length) / (after / z.length);
            for (int i = 0; i < z.length; i++) {
                double expected = weighted[i] * scale;
                assertEquals(
                        expected, out[i], 1e-5 * Math.max(1, Math.abs(expected)), "trial " + trial + " value " + i);
            }
            double mean = 0;
            for (float v : out) mean += v;
            assertEquals(before / z.length, mean / z.length, 1e-5);
        }
    }

    @Test
    void originalOnKnownValues() {
        // z = [[1, 2], [3, 4]], w = [1, 2]: weighted [[1, 2], [6, 8]], means 2.5 and 4.25
        float[] out = Emphasis.ORIGINAL.apply(new float[] {1, 2, 3, 4}, new float[] {1, 2});
        double s = 2.5 / 4.25;
        float scale = 2.5f / 4.25f;
        assertArrayEquals(new float[] {1 * scale, 2 * scale, 6 * scale, 8 * scale}, out);
        assertArrayEquals(new float[] {(float) s, (float) (2 * s), (float) (6 * s), (float) (8 * s)}, out, 1e-6f);
    }

    @Test
    void noNormOnlyMultiplies() {
        Random r = new Random(11);
        float[] z = random(r, ROWS * WIDTH, 0);
        float[] out = Emphasis.NO_NORM.apply(z, WEIGHTS);
        for (int i = 0; i < z.length; i++) {
            double expected = (double) z[i] * WEIGHTS[i / WIDTH];
            assertEquals((float) expected, out[i]); // one float32 product is the rounded exact product
        }
    }

    @Test
    void emphasisLeavesItsInputAloneAndChecksShapes() {
        float[] z = {1, 2, 3, 4};
        Emphasis.ORIGINAL.apply(z, new float[] {1, 2});
        assertArrayEquals(new float[] {1, 2, 3, 4}, z);
        assertThrows(IllegalArgumentException.class, () -> Emphasis.ORIGINAL.apply(new float[5], new float[2]));
    }

    @Test
    void comfyMatchesFloat64() {
        Random r = new Random(13);
        for (int trial = 0; trial < 20; trial++) {
            float[] z = random(r, ROWS * WIDTH, 0.3), empty = random(r, ROWS * WIDTH, -0.2);
            float[] out = ComfyWeighting.apply(z, empty, WEIGHTS);
            for (int i = 0; i < z.length; i++) {
                double w = WEIGHTS[i / WIDTH];
                if (w == 1) {
                    assertEquals(z[i], out[i], "rows of weight 1 are untouched");
                } else {
                    double expected = ((double) z[i] - empty[i]) * w + empty[i];
                    assertEquals(
                            expected,
                            out[i],
                            1e-6 * Math.max(1, Math.abs(z[i]) + Math.abs(empty[i])),
                            "trial " + trial + " value " + i);
                }
            }
        }
    }

    @Test
    void comfyOnKnownValues() {
        // (3 - 1) * 2 + 1 = 5; weight 0 gives the empty prompt's row
        float[] out = ComfyWeighting.apply(new float[] {3, 4, 3, 4}, new float[] {1, 1, 2, 2}, new float[] {2, 0});
        assertArrayEquals(new float[] {5, 7, 2, 2}, out);
        assertThrows(
                IllegalArgumentException.class, () -> ComfyWeighting.apply(new float[4], new float[2], new float[2]));
    }
}
