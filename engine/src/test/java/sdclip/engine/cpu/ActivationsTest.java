package sdclip.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import sdclip.engine.reference.Erf;

/** The vector GELU against the double-precision reference. */
class ActivationsTest {

    @Test
    void vectorGeluAgreesWithDoubleToFloatPrecision() {
        float[] xs = new float[20001];
        for (int i = 0; i < xs.length; i++) xs[i] = -10 + i * 0.001f;
        float[] out = xs.clone();
        Activations.gelu(out, 0, out.length);
        for (int i = 0; i < xs.length; i++) {
            double expected = Erf.gelu(xs[i]);
            // Float precision: the exponent of the erfc tail is rounded once to float, which costs
            // up to ~1e-6 relative where gelu is tiny; 1e-12 absolute covers values below that.
            double tol = 1.5e-6 * Math.abs(expected) + 1e-12;
            assertEquals(expected, out[i], tol, "gelu(" + xs[i] + ")");
            assertEquals(expected, Activations.gelu(xs[i]), tol, "scalar gelu(" + xs[i] + ")");
        }
    }
}
