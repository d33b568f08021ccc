package sdclip.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The two metrics against their published formulas, on cosines where clamping matters. */
class ClipScoreTest {
    private static final double[] COSINES = {0.31, -0.12, 0.05};

    @Test
    void clipScoreIsTorchmetrics() {
        assertEquals(31.0, ClipScore.CLIPSCORE.pair(0.31), 1e-12);
        assertEquals(0.0, ClipScore.CLIPSCORE.pair(-0.12));
        // torchmetrics averages 100 cos, then clamps: (31 - 12 + 5) / 3 = 8.
        assertEquals(8.0, ClipScore.CLIPSCORE.set(COSINES), 1e-12);
        assertEquals(0.0, ClipScore.CLIPSCORE.set(new double[] {-0.2, 0.1}));
        assertTrue(Double.isNaN(ClipScore.CLIPSCORE.set(new double[0])));
    }

    @Test
    void clipSIsHesselEtAl() {
        ClipScore.Metric s = ClipScore.clipS(ClipScore.CLIP_S_WEIGHT);
        assertEquals(0.775, s.pair(0.31), 1e-12);
        assertEquals(0.0, s.pair(-0.12));
        // The mean of clamped per-pair values: 2.5 * (0.31 + 0 + 0.05) / 3 = 0.3.
        assertEquals(0.3, s.set(COSINES), 1e-12);
        assertEquals(0.2, ClipScore.clipS(2).set(new double[] {-0.2, 0.2}), 1e-12);
        assertEquals("clip-s", s.id());
        assertEquals("clipscore", ClipScore.CLIPSCORE.id());
    }

    @Test
    void clipSWeightMustBePositiveAndFinite() {
        for (double w : new double[] {0, -1, Double.NaN, Double.POSITIVE_INFINITY}) {
            assertThrows(IllegalArgumentException.class, () -> ClipScore.clipS(w), String.valueOf(w));
        }
    }
}
