package sdclip.model.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.Arrays;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import sdclip.model.checkpoint.Checkpoint;
import sdclip.model.checkpoint.TextTower;
import sdclip.testdata.ReferenceData;

/** The clip-skip rule on every family: K counts hidden states from the end; the norm is the family's. */
class ConditioningLayerTest {

    /** model, heads, encoder (from 1), layers L, default K, whether the final norm applies. */
    @ParameterizedTest(name = "{0} encoder {2}")
    @CsvSource({
        "tiny-sd15.safetensors, '4',   1, 3, 1, true",
        "tiny-sd15-diffusers,   '',    1, 3, 1, true",
        "tiny-clip.safetensors, '4',   1, 3, 1, true",
        "tiny-sd21.safetensors, '4',   1, 3, 2, true",
        "tiny-sdxl.safetensors, '2,3', 1, 3, 2, false",
        "tiny-sdxl.safetensors, '2,3', 2, 4, 2, false",
    })
    void everyFamilyCountsFromTheEnd(String model, String heads, int encoder, int layers, int defaultK, boolean normed)
            throws IOException {
        int[] h = heads.isEmpty()
                ? null
                : Arrays.stream(heads.split(",")).mapToInt(Integer::parseInt).toArray();
        try (Checkpoint c = Checkpoint.open(ReferenceData.require("models/" + model), h)) {
            TextTower t = c.encoder(encoder);
            ConditioningLayer byDefault = ConditioningLayer.of(t, 0);
            assertEquals(defaultK, byDefault.clipSkip());
            assertEquals(layers + 1 - defaultK, byDefault.layer());
            for (int k = 1; k <= layers + 1; k++) {
                ConditioningLayer l = ConditioningLayer.of(t, k);
                assertEquals(layers + 1 - k, l.layer(), "K = " + k);
                assertEquals(normed, l.normed());
                assertEquals(normed && k == 1, l.isLastHiddenState());
            }
            assertEquals(
                    normed ? "final_norm(hidden_states[L])" : "hidden_states[L] (no final norm)",
                    ConditioningLayer.of(t, 1).describe());
            assertEquals(
                    normed ? "final_norm(hidden_states[L-1])" : "hidden_states[L-1] (no final norm)",
                    ConditioningLayer.of(t, 2).describe());
            IllegalArgumentException e =
                    assertThrows(IllegalArgumentException.class, () -> ConditioningLayer.of(t, layers + 2));
            assertTrue(
                    e.getMessage().contains("clip skip " + (layers + 2))
                            && e.getMessage().contains("1 to " + (layers + 1)),
                    e.getMessage());
            assertFalse(e.getMessage().contains("--"), "no flags in library messages: " + e.getMessage());
        }
    }
}
