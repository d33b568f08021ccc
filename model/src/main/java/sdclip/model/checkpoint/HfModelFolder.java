package sdclip.model.checkpoint;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import sdclip.model.ModelFormatException;
import sdclip.model.checkpoint.Checkpoint.Family;
import sdclip.model.safetensors.SafetensorsException;
import sdclip.model.safetensors.TensorStore;

/**
 * A Hugging Face model folder: CLIPModel, CLIPTextModel(WithProjection) or
 * CLIPVisionModel(WithProjection) weights beside their {@code config.json}, the tokenizer
 * (if any) in {@code tokenizer/}.
 */
final class HfModelFolder {
    private HfModelFolder() {}

    /** Reads {@code dir}, opening its weights into {@code stores}. */
    static Recognised read(Path dir, int[] heads, int visionHeads, List<TensorStore> stores) throws IOException {
        Path weights = modelFile(dir);
        if (weights == null)
            throw new ModelFormatException(
                    dir,
                    "no model.safetensors, *.safetensors.index.json, pytorch_model.bin, or diffusers text_encoder/ folder here");
        Map<String, Object> config = HfConfig.readConfig(dir.resolve("config.json"));
        TensorStore s = Checkpoint.openStore(weights, stores);
        String prefix = StoreKeys.hfPrefix(s);
        if (prefix == null && StoreKeys.hasPrefix(s, "vision_model.")) {
            return new Recognised(
                    Family.CLIP_VISION,
                    "huggingface folder",
                    List.of(),
                    TowerBuilders.visionBuilder(s, visionHeads, HfConfig.visionConfig(config)));
        }
        if (prefix == null) {
            throw new SafetensorsException(
                    weights, "holds no text_model.* tensors; its top key prefixes are " + StoreKeys.topPrefixes(s));
        }
        Map<String, Object> text = HfConfig.textConfig(config);
        Integer given = TowerBuilders.heads(heads, 0);
        TextTower.Builder b = TowerBuilders.hfTower(
                s, prefix, s.has("text_projection.weight") ? "text_projection.weight" : null, given, "text encoder");
        b.configHeads = HfConfig.intOr(text, "num_attention_heads");
        HfConfig.applyConfig(b, text);
        b.padId = HfConfig.padIdOf(dir.resolve("tokenizer"), b.activation); // none there: by the tower's origin
        VisionTower.Builder vision = TowerBuilders.visionBuilder(s, visionHeads, HfConfig.visionConfig(config));
        return new Recognised(
                vision != null ? Family.CLIP : Family.CLIP_TEXT, "huggingface folder", List.of(b.build()), vision);
    }

    /** The weights file of a Hugging Face folder (safetensors first, fp16 variants, shard indexes, then torch), or null. */
    static Path modelFile(Path dir) {
        for (String name : new String[] {
            "model.safetensors",
            "model.fp16.safetensors",
            "model.safetensors.index.json",
            "model.fp16.safetensors.index.json",
            "pytorch_model.bin",
            "pytorch_model.fp16.bin"
        }) {
            if (Files.isRegularFile(dir.resolve(name))) return dir.resolve(name);
        }
        return null;
    }
}
