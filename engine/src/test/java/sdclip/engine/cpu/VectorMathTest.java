package sdclip.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

class VectorMathTest {

    @Test
    void expIsAccurateToAFewUlpAndVectorEqualsScalar() {
        var s = FloatVector.SPECIES_PREFERRED;
        float[] xs = new float[s.length()];
        float[] out = new float[s.length()];
        double worst = 0;
        for (float x0 = -87f; x0 < 88f; x0 += 0.0137f * s.length()) {
            for (int i = 0; i < xs.length; i++) xs[i] = x0 + 0.0137f * i;
            VectorMath.exp(FloatVector.fromArray(s, xs, 0)).intoArray(out, 0);
            for (int i = 0; i < xs.length; i++) {
                double want = Math.exp(xs[i]);
                double ulps = Math.abs(out[i] - want) / Math.ulp((float) want);
                worst = Math.max(worst, ulps);
                assertEquals(
                        Float.floatToIntBits(VectorMath.exp(xs[i])),
                        Float.floatToIntBits(out[i]),
                        "vector and scalar differ at " + xs[i]);
            }
        }
        assertEquals(0, worst, 3, "worst error in ulp");
    }

    @Test
    void expEdges() {
        assertEquals(1f, VectorMath.exp(0f));
        assertEquals(0f, VectorMath.exp(Float.NEGATIVE_INFINITY));
        assertEquals(0f, VectorMath.exp(-1000f));
        assertEquals(
                (float) Math.exp((double) 88.3f), VectorMath.exp(1e9f), Math.ulp((float) Math.exp((double) 88.3f)) * 3);
        assertEquals(true, Float.isNaN(VectorMath.exp(Float.NaN)));
        float[] in = {Float.NEGATIVE_INFINITY, -100f, 0f, 1f};
        float[] out = new float[FloatVector.SPECIES_PREFERRED.length()];
        float[] padded = Arrays.copyOf(in, out.length);
        VectorMath.exp(FloatVector.fromArray(FloatVector.SPECIES_PREFERRED, padded, 0))
                .intoArray(out, 0);
        assertEquals(0f, out[0]);
        assertEquals(0f, out[1]);
        assertEquals(1f, out[2]);
        assertEquals((float) Math.E, out[3], Math.ulp((float) Math.E) * 2);
    }
}
