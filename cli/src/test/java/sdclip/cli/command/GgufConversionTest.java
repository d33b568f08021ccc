package sdclip.cli.command;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import sdclip.engine.DType;

/**
 * The formula model's GGUF plan, what each tensor becomes (nothing is written): counts by type,
 * for the text model and the whole CLIP model.
 */
class GgufConversionTest {
    @Test
    void textModel() {
        // 122 1-D tensors (norms, biases) stay F32; 75 matrices, all rows whole 256-value superblocks
        assertEquals(
                "F32 122, Q8_0 75",
                GgufConversion.formulaModel(DType.Q8_0, false).summary());
        assertEquals(
                "F32 122, Q4_0 75",
                GgufConversion.formulaModel(DType.Q4_0, false).summary());
        assertEquals(
                "F32 122, Q4_K 75",
                GgufConversion.formulaModel(DType.Q4_K, false).summary());
        assertEquals(
                "F16 75, F32 122", GgufConversion.formulaModel(DType.F16, false).summary(), "1-D stays F32");
        assertEquals("F32 197", GgufConversion.formulaModel(DType.F32, false).summary());
    }

    @Test
    void wholeClipModel() {
        // the vision tower adds 245 1-D tensors, 146 matrices, and the patch embedding, whose 14-wide rows take F16
        GgufConversion g = GgufConversion.formulaModel(DType.Q8_0, true);
        assertEquals("F16 1, F32 367, Q8_0 221", g.summary());
        assertEquals(589, g.written());
        assertEquals(
                "F16 1, F32 367, Q4_K 221",
                GgufConversion.formulaModel(DType.Q4_K, true).summary());
    }

    @Test
    void q8_0TakesThirtyFourBytesPerThirtyTwoValues() {
        long matrices = 0, vectors = 0;
        for (var s : sdclip.model.synth.FormulaModel.tensors()) {
            if (s.shape().length == 1) vectors += (s.elements() * 4 + 31) / 32 * 32; // padded to 32 bytes
            else matrices += (s.elements() / 32 * 34 + 31) / 32 * 32;
        }
        assertEquals(
                matrices + vectors,
                GgufConversion.formulaModel(DType.Q8_0, false).writer().dataBytes());
    }
}
