package sdclip.model.checkpoint;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import sdclip.model.ModelFormatException;
import sdclip.model.json.Json;
import sdclip.model.json.JsonException;

/**
 * What sdclip reads from a Hugging Face or diffusers folder's JSON files: {@code config.json}
 * (heads, activation, layer norm epsilon), {@code model_index.json} and a tokenizer's
 * {@code special_tokens_map.json} (the pad token).
 */
final class HfConfig {
    private HfConfig() {}

    /** The JSON object in {@code file}; empty when there is no such file. */
    static Map<String, Object> readConfig(Path file) throws IOException {
        if (!Files.isRegularFile(file)) return Map.of();
        try {
            return Json.parseObject(Files.readString(file));
        } catch (JsonException e) {
            throw new ModelFormatException(file, e.getMessage(), e);
        }
    }

    /** A CLIPModel config nests the text part under text_config. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> textConfig(Map<String, Object> config) {
        return config.get("text_config") instanceof Map<?, ?> m ? (Map<String, Object>) m : config;
    }

    /** A CLIPModel config nests the vision part under vision_config; a CLIPVisionModel's is the whole file. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> visionConfig(Map<String, Object> config) {
        if (config.get("vision_config") instanceof Map<?, ?> m) return (Map<String, Object>) m;
        return "clip_vision_model".equals(config.get("model_type")) ? config : Map.of();
    }

    /** The activation and layer norm epsilon a text config names, where it names them. */
    static void applyConfig(TextTower.Builder b, Map<String, Object> config) {
        if (config.get("hidden_act") instanceof String act) b.activation = HiddenAct.parse(act);
        if (config.get("layer_norm_eps") instanceof Number eps) b.layerNormEps = eps.floatValue();
    }

    /** A positive count under {@code key} (e.g. {@code num_attention_heads}), or null when absent or implausible. */
    static Integer intOr(Map<String, Object> config, String key) {
        return config.get(key) instanceof Long v && v > 0 && v < 100_000 ? v.intValue() : null;
    }

    /** The pad id from a tokenizer folder's special_tokens_map.json ("!" is 0), else by the tower's origin. */
    static int padIdOf(Path tokenizer, HiddenAct act) throws IOException {
        Path map = tokenizer.resolve("special_tokens_map.json");
        if (Files.isRegularFile(map)) {
            Object pad = readConfig(map).get("pad_token");
            if (pad instanceof Map<?, ?> m) pad = m.get("content");
            if ("!".equals(pad)) return 0;
            if ("<|endoftext|>".equals(pad)) return 49407;
        }
        return act == HiddenAct.GELU ? 0 : 49407;
    }
}
