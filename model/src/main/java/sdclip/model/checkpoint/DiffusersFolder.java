package sdclip.model.checkpoint;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import sdclip.model.ModelFormatException;
import sdclip.model.checkpoint.Checkpoint.Family;
import sdclip.model.safetensors.TensorStore;

/**
 * A diffusers pipeline folder: {@code text_encoder/} and/or {@code text_encoder_2/}, each a
 * Hugging Face CLIPTextModel(WithProjection) with its tokenizer in {@code tokenizer/} or
 * {@code tokenizer_2/}; {@code model_index.json} names the pipeline (an XL one conditions
 * from the raw penultimate block).
 */
final class DiffusersFolder {
    private DiffusersFolder() {}

    /** Whether {@code dir} looks like a diffusers folder rather than a single Hugging Face model. */
    static boolean isDiffusers(Path dir) {
        return Files.isDirectory(dir.resolve("text_encoder"))
                || Files.isDirectory(dir.resolve("text_encoder_2"))
                || Files.isRegularFile(dir.resolve("model_index.json"));
    }

    /** Reads {@code dir}'s text encoders in order, opening their weights into {@code stores}. */
    static Recognised read(Path dir, int[] heads, List<TensorStore> stores) throws IOException {
        String pipeline = "";
        if (Files.isRegularFile(dir.resolve("model_index.json"))) {
            Object cls = HfConfig.readConfig(dir.resolve("model_index.json")).get("_class_name");
            pipeline = cls instanceof String str ? str : "";
        }
        List<TextTower> towers = new ArrayList<>();
        String[] folders = {"text_encoder", "text_encoder_2"};
        boolean xl = pipeline.contains("XL");
        for (String folder : folders) {
            Path enc = dir.resolve(folder);
            if (!Files.isDirectory(enc)) continue;
            Path weights = HfModelFolder.modelFile(enc);
            if (weights == null)
                throw new ModelFormatException(
                        enc, "no model.safetensors, model.fp16.safetensors or pytorch_model.bin here");
            Map<String, Object> config = HfConfig.readConfig(enc.resolve("config.json"));
            TensorStore s = Checkpoint.openStore(weights, stores);
            int index = towers.size();
            String prefix = StoreKeys.hfPrefix(s);
            Integer given = TowerBuilders.heads(heads, index);
            TextTower.Builder b = TowerBuilders.hfTower(
                    s,
                    prefix != null ? prefix : "text_model.",
                    s.has("text_projection.weight") ? "text_projection.weight" : null,
                    given,
                    folder);
            b.configHeads = HfConfig.intOr(config, "num_attention_heads");
            HfConfig.applyConfig(b, config);
            Path tok = dir.resolve(folder.equals("text_encoder") ? "tokenizer" : "tokenizer_2");
            b.tokenizerFolder = Files.isDirectory(tok) ? tok : null;
            b.padId = HfConfig.padIdOf(tok, b.activation);
            if (xl) b.conditioning = TextTower.Conditioning.RAW_PENULTIMATE;
            towers.add(b.build());
        }
        if (towers.isEmpty())
            throw new ModelFormatException(dir, "a diffusers folder without text_encoder/ or text_encoder_2/");
        Family family;
        if (towers.size() == 2) family = Family.SDXL;
        else if (xl || !Files.isDirectory(dir.resolve("text_encoder"))) family = Family.SDXL_REFINER;
        else family = towers.getFirst().config().activation() == HiddenAct.GELU ? Family.SD2 : Family.SD1;
        return new Recognised(family, "diffusers", towers, null);
    }
}
