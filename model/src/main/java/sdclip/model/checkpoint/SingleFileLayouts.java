package sdclip.model.checkpoint;

import static sdclip.model.checkpoint.LayoutRule.TowerRule.hf;
import static sdclip.model.checkpoint.LayoutRule.TowerRule.openAi;
import static sdclip.model.checkpoint.LayoutRule.TowerRule.openClip;
import static sdclip.model.checkpoint.LayoutRule.key;
import static sdclip.model.checkpoint.LayoutRule.prefix;
import static sdclip.model.checkpoint.LayoutRule.rule;
import static sdclip.model.checkpoint.LayoutRule.width;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import sdclip.model.checkpoint.Checkpoint.Family;
import sdclip.model.safetensors.SafetensorsException;
import sdclip.model.safetensors.TensorStore;

/**
 * The single-file layouts sdclip recognises, as a table of {@link LayoutRule}s tried in order:
 * a new layout is one more entry, placed before any rule its keys would also meet.
 */
final class SingleFileLayouts {
    private SingleFileLayouts() {}

    private static final String SD3_L = "text_encoders.clip_l.transformer.text_model.";
    private static final String SD3_G = "text_encoders.clip_g.transformer.text_model.";
    private static final String SDXL_L = "conditioner.embedders.0.transformer.text_model.";
    private static final String SDXL_G = "conditioner.embedders.1.model.";
    private static final String OPENCLIP_0 = "conditioner.embedders.0.model.";

    /** The rules, first match wins. */
    static final List<LayoutRule> RULES = List.of(
            // SD3 / SD3.5: CLIP-L and CLIP-G in Hugging Face naming, conditioned like SDXL (raw penultimate blocks side
            // by side).
            rule(
                    Family.SD3,
                    "sd3 single file",
                    List.of(prefix(SD3_L), prefix(SD3_G)),
                    hf(SD3_L, "text_encoders.clip_l.transformer.text_projection.weight", "encoder 1 (CLIP-L)")
                            .penultimate(),
                    // Stability's SD3 reference tokenizes for CLIP-G with pad_with_end=False
                    hf(SD3_G, "text_encoders.clip_g.transformer.text_projection.weight", "encoder 2 (CLIP-G)")
                            .trainedByOpenClip()
                            .penultimate()),
            // Flux: CLIP-L only (its pooled output conditions the model; T5 gives the sequence).
            rule(
                    Family.FLUX,
                    "flux single file",
                    List.of(prefix(SD3_L)),
                    hf(SD3_L, "text_encoders.clip_l.transformer.text_projection.weight", "CLIP-L text encoder")),
            rule(
                    Family.SDXL,
                    "sdxl single file",
                    List.of(prefix(SDXL_L), prefix(SDXL_G)),
                    hf(SDXL_L, null, "encoder 1 (CLIP-L)").penultimate(),
                    openClip(SDXL_G, "encoder 2 (OpenCLIP bigG)").penultimate()),
            // OpenCLIP alone under conditioner.embedders.0: bigG is the SDXL refiner, anything else SD 2.x.
            rule(
                    Family.SDXL_REFINER,
                    "sdxl-refiner single file",
                    List.of(prefix(OPENCLIP_0), width(OPENCLIP_0 + "token_embedding.weight", 1280)),
                    openClip(OPENCLIP_0, "encoder (OpenCLIP bigG)").penultimate()),
            rule(
                    Family.SD2,
                    "sd2 single file (conditioner.embedders)",
                    List.of(prefix(OPENCLIP_0)),
                    openClip(OPENCLIP_0, "OpenCLIP text encoder").clipSkip(2)),
            rule(
                    Family.SD2,
                    "sd2 single file",
                    List.of(prefix("cond_stage_model.model.")),
                    openClip("cond_stage_model.model.", "OpenCLIP text encoder").clipSkip(2)),
            rule(
                    Family.SD1,
                    "sd1 single file",
                    List.of(prefix("cond_stage_model.transformer.text_model.")),
                    hf("cond_stage_model.transformer.text_model.", null, "CLIP-L text encoder")),
            rule(
                    Family.SD1,
                    "sd1 single file (legacy keys)",
                    List.of(key("cond_stage_model.transformer.embeddings.token_embedding.weight")),
                    hf("cond_stage_model.transformer.", null, "CLIP-L text encoder")),
            rule(
                    Family.CLIP,
                    "huggingface",
                    List.of(prefix("text_model."), prefix("vision_model.")),
                    hf("text_model.", "text_projection.weight", "text encoder")),
            rule(
                    Family.CLIP_TEXT,
                    "huggingface",
                    List.of(prefix("text_model.")),
                    hf("text_model.", "text_projection.weight", "text encoder")),
            // Recent transformers save CLIPTextModel without the text_model. prefix.
            rule(
                    Family.CLIP_TEXT,
                    "huggingface (no text_model. prefix)",
                    List.of(key("embeddings.token_embedding.weight"), prefix("encoder.layers.")),
                    hf("", "text_projection.weight", "text encoder")),
            rule(
                    Family.CLIP,
                    "openai",
                    List.of(key("token_embedding.weight"), prefix("transformer.resblocks."), prefix("visual.")),
                    openAi("", "text encoder")),
            rule(
                    Family.CLIP_TEXT,
                    "openai",
                    List.of(key("token_embedding.weight"), prefix("transformer.resblocks.")),
                    openAi("", "text encoder")),
            rule(Family.CLIP_VISION, "huggingface", List.of(prefix("vision_model."))),
            rule(Family.CLIP_VISION, "openai", List.of(prefix("visual."))));

    /**
     * Recognises a single file by the first rule its keys meet and builds its towers.
     *
     * @throws SafetensorsException when no rule matches, naming the file and its top key prefixes,
     *                              or a tower's tensors are missing or misshapen
     */
    static Recognised recognise(Path file, TensorStore s, int[] heads, int visionHeads) {
        for (LayoutRule r : RULES) {
            if (r.matches(s))
                return new Recognised(
                        r.family(),
                        r.layout(),
                        r.buildTowers(s, heads),
                        TowerBuilders.visionBuilder(s, visionHeads, Map.of()));
        }
        throw new SafetensorsException(
                file,
                "holds no CLIP text encoder sdclip recognises; its top key prefixes are " + StoreKeys.topPrefixes(s)
                        + " (expected e.g. cond_stage_model.transformer.text_model., cond_stage_model.model., conditioner.embedders., text_encoders.clip_l., text_model.)");
    }
}
