package sdclip.model.synth;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import sdclip.model.checkpoint.ClipVisionConfig;
import sdclip.model.checkpoint.HiddenAct;

/** The formula CLIP ViT-L/14 vision tower's tensor list (not written here: 1.2 GB in F32). */
class FormulaVisionModelTest {
    @Test
    void visionTensorsAreViTL14() {
        long total = 0;
        for (FormulaModel.Spec s : FormulaModel.visionTensors()) total += s.elements();
        ClipVisionConfig cfg = new ClipVisionConfig(224, 14, 1024, 16, 24, 4096, 768, HiddenAct.QUICK_GELU, 1e-5f);
        assertEquals(cfg.parameterCount(), total);
        assertEquals(
                303_179_776L + 786_432L,
                total); // transformers' CLIPVisionModel ViT-L/14 (303,179,776) plus the projection
        assertEquals(24 * 16 + 8, FormulaModel.visionTensors().size());
        assertEquals(
                "vision_model.embeddings.patch_embedding.weight",
                FormulaModel.visionTensors().getFirst().name());
    }
}
