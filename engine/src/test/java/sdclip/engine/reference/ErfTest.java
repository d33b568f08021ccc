package sdclip.engine.reference;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Known values from published tables (Abramowitz and Stegun, Table 7.1, and DLMF). */
class ErfTest {

    @Test
    void erfMatchesTabulatedValues() {
        double[][] table = {
            {0.0, 0.0},
            {0.1, 0.1124629160182849},
            {0.5, 0.5204998778130465},
            {1.0, 0.8427007929497149},
            {1.5, 0.9661051464753108},
            {2.0, 0.9953222650189527},
            {2.5, 0.9995930479825550},
            {3.0, 0.9999779095030014},
            {4.0, 0.9999999845827421},
        };
        for (double[] row : table) {
            assertEquals(row[1], Erf.erf(row[0]), 1e-15 + 1e-14 * row[1], "erf(" + row[0] + ")");
            assertEquals(-row[1], Erf.erf(-row[0]), 1e-15 + 1e-14 * row[1], "erf(-" + row[0] + ")");
        }
    }

    @Test
    void erfcKeepsRelativePrecisionInTheTail() {
        // erfc(5) = 1.5374597944280349e-12, erfc(10) = 2.0884875837625448e-45
        assertEquals(1.5374597944280349e-12, Erf.erfc(5), 1.5374597944280349e-12 * 1e-13);
        assertEquals(2.0884875837625448e-45, Erf.erfc(10), 2.0884875837625448e-45 * 1e-13);
        assertEquals(2 - 1.5374597944280349e-12, Erf.erfc(-5), 1e-15);
    }

    @Test
    void geluAndQuickGeluKnownValues() {
        // gelu(1) = 0.5 (1 + erf(1/sqrt2)) = 0.8413447460685429; gelu(-1) = -0.15865525393145707
        assertEquals(0.8413447460685429, Erf.gelu(1), 1e-15);
        assertEquals(-0.15865525393145707, Erf.gelu(-1), 1e-15);
        assertEquals(0, Erf.gelu(0), 0);
        // quick_gelu(1) = 1 / (1 + e^-1.702)
        assertEquals(1 / (1 + Math.exp(-1.702)), Erf.quickGelu(1), 1e-15);
        assertEquals(-2 / (1 + Math.exp(3.404)), Erf.quickGelu(-2), 1e-15);
    }
}
