package sdclip.model.checkpoint;

import java.util.Map;

import sdclip.model.safetensors.TensorStore;

/** Builders for a store's towers by how they are named and trained; the layout readers fill in the rest. */
final class TowerBuilders {
    private TowerBuilders() {}

    /** The head count given for encoder {@code encoder} (0-based), or null to infer it. */
    static Integer heads(int[] heads, int encoder) {
        return heads != null && encoder < heads.length && heads[encoder] > 0 ? heads[encoder] : null;
    }

    /** A text tower in Hugging Face naming under {@code prefix}; {@code projection} is a full tensor name or null. */
    static TextTower.Builder hfTower(TensorStore s, String prefix, String projection, Integer heads, String label) {
        TextTower.Builder b = new TextTower.Builder();
        b.store = s;
        b.prefix = prefix;
        b.naming = Naming.HUGGING_FACE;
        b.projection = projection;
        b.heads = heads;
        b.label = label;
        return b;
    }

    /** A text tower in OpenAI naming ({@code transformer.resblocks.*}) under {@code prefix}; {@code projection} is a full tensor name or null. */
    static TextTower.Builder openAiTower(TensorStore s, String prefix, String projection, Integer heads, String label) {
        TextTower.Builder b = new TextTower.Builder();
        b.store = s;
        b.prefix = prefix;
        b.naming = Naming.OPENAI;
        b.projection = projection;
        b.heads = heads;
        b.label = label;
        return b;
    }

    /** Marks a tower as trained by OpenCLIP (ViT-H, ViT-bigG): exact GELU, and prompts padded with 0 ("!"). */
    static TextTower.Builder trainedByOpenClip(TextTower.Builder b) {
        b.activation = HiddenAct.GELU;
        b.padId = 0;
        return b;
    }

    /** The vision tower's builder when {@code s} holds one (HF {@code vision_model.} or OpenAI {@code visual.}), else null. */
    static VisionTower.Builder visionBuilder(TensorStore s, int visionHeads, Map<String, Object> visionConfig) {
        VisionTower.Builder b = new VisionTower.Builder();
        b.store = s;
        if (StoreKeys.hasPrefix(s, "vision_model.")) {
            b.projection = s.has("visual_projection.weight") ? "visual_projection.weight" : null;
        } else if (StoreKeys.hasPrefix(s, "visual.")) {
            b.prefix = "visual.";
            b.naming = Naming.OPENAI;
            b.projection = s.has("visual.proj") ? "visual.proj" : null;
        } else {
            return null;
        }
        b.heads = visionHeads > 0 ? Integer.valueOf(visionHeads) : null;
        b.configHeads = HfConfig.intOr(visionConfig, "num_attention_heads");
        if (visionConfig.get("hidden_act") instanceof String act) b.activation = HiddenAct.parse(act);
        if (visionConfig.get("layer_norm_eps") instanceof Number eps) b.layerNormEps = eps.floatValue();
        return b;
    }
}
