package sdclip.model.checkpoint;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import sdclip.model.json.Json;
import sdclip.model.json.JsonException;
import sdclip.model.safetensors.SafetensorsException;
import sdclip.model.safetensors.SafetensorsFile;
import sdclip.model.safetensors.ShardedSafetensors;
import sdclip.model.safetensors.TensorStore;

/**
 * A checkpoint opened and recognised from its keys: its family, its layout, and its text
 * encoders in order (SDXL: CLIP-L first, bigG second). Holds the mapped files; closing unmaps.
 * See the README's table of supported layouts.
 */
public final class Checkpoint implements AutoCloseable {

    /** The checkpoint families sdclip recognises. */
    public enum Family {
        SD1("sd1"), SD2("sd2"), SDXL("sdxl"), SDXL_REFINER("sdxl-refiner"), CLIP("clip"), CLIP_TEXT("clip-text");

        private final String id;

        Family(String id) { this.id = id; }

        public String id() { return id; }
    }

    private final Path path;
    private final Family family;
    private final String layout;
    private final List<TextTower> encoders;
    private final boolean visionTower;
    private final List<TensorStore> stores;

    private Checkpoint(Path path, Family family, String layout, List<TextTower> encoders, boolean visionTower, List<TensorStore> stores) {
        this.path = path;
        this.family = family;
        this.layout = layout;
        this.encoders = List.copyOf(encoders);
        this.visionTower = visionTower;
        this.stores = stores;
    }

    public Path path() { return path; }

    public Family family() { return family; }

    public String layout() { return layout; }

    public List<TextTower> encoders() { return encoders; }

    /** Text encoder {@code number}, counted from 1. */
    public TextTower encoder(int number) {
        if (number < 1 || number > encoders.size()) {
            throw new IllegalArgumentException("encoder " + number + " requested, but " + path + " has " + encoders.size() + " text encoder" + (encoders.size() == 1 ? "" : "s"));
        }
        return encoders.get(number - 1);
    }

    public boolean hasVisionTower() { return visionTower; }

    /**
     * Opens a checkpoint: a {@code .safetensors} file, a {@code *.safetensors.index.json}, a
     * diffusers folder, or a Hugging Face model folder. {@code heads} overrides the head count
     * per encoder (null or shorter: inferred, width / 64 unless config.json says otherwise).
     */
    public static Checkpoint open(Path path, int[] heads) throws IOException {
        if (!Files.exists(path)) throw new IOException(path + ": no such file or folder");
        List<TensorStore> stores = new ArrayList<>();
        try {
            Checkpoint c = Files.isDirectory(path) ? openFolder(path, heads, stores) : openFile(path, heads, stores);
            if (heads != null && heads.length > c.encoders.size()) {
                throw new IllegalArgumentException("--heads gives " + heads.length + " values but " + path + " has " + c.encoders.size() + " text encoder(s)");
            }
            return c;
        } catch (IOException | RuntimeException e) {
            stores.forEach(TensorStore::close);
            throw e;
        }
    }

    private static TensorStore store(Path file, List<TensorStore> stores) throws IOException {
        TensorStore s = file.getFileName().toString().endsWith(".index.json") ? ShardedSafetensors.open(file) : SafetensorsFile.open(file);
        stores.add(s);
        return s;
    }

    private static Integer heads(int[] heads, int encoder) {
        return heads != null && encoder < heads.length && heads[encoder] > 0 ? heads[encoder] : null;
    }

    private static Checkpoint openFile(Path file, int[] heads, List<TensorStore> stores) throws IOException {
        TensorStore s = store(file, stores);
        List<TextTower> towers = new ArrayList<>();
        Family family;
        String layout;
        if (hasPrefix(s, "conditioner.embedders.0.transformer.text_model.") && hasPrefix(s, "conditioner.embedders.1.model.")) {
            towers.add(hfTower(s, "conditioner.embedders.0.transformer.text_model.", null, heads(heads, 0), "encoder 1 (CLIP-L)")
                    .conditioning(TextTower.Conditioning.RAW_PENULTIMATE).build());
            towers.add(openClipTower(s, "conditioner.embedders.1.model.", heads(heads, 1), "encoder 2 (OpenCLIP bigG)")
                    .conditioning(TextTower.Conditioning.RAW_PENULTIMATE).build());
            family = Family.SDXL;
            layout = "sdxl single file";
        } else if (hasPrefix(s, "conditioner.embedders.0.model.")) {
            var tok = s.info("conditioner.embedders.0.model.token_embedding.weight");
            boolean refiner = tok != null && tok.rank() == 2 && tok.shape()[1] == 1280; // bigG: the SDXL refiner
            TextTower t = refiner
                    ? openClipTower(s, "conditioner.embedders.0.model.", heads(heads, 0), "encoder (OpenCLIP bigG)").conditioning(TextTower.Conditioning.RAW_PENULTIMATE).build()
                    : openClipTower(s, "conditioner.embedders.0.model.", heads(heads, 0), "OpenCLIP text encoder").clipSkip(2).build();
            towers.add(t);
            family = refiner ? Family.SDXL_REFINER : Family.SD2;
            layout = refiner ? "sdxl-refiner single file" : "sd2 single file (conditioner.embedders)";
        } else if (hasPrefix(s, "cond_stage_model.model.")) {
            towers.add(openClipTower(s, "cond_stage_model.model.", heads(heads, 0), "OpenCLIP text encoder").clipSkip(2).build());
            family = Family.SD2;
            layout = "sd2 single file";
        } else if (hasPrefix(s, "cond_stage_model.transformer.text_model.")) {
            towers.add(hfTower(s, "cond_stage_model.transformer.text_model.", null, heads(heads, 0), "CLIP-L text encoder").build());
            family = Family.SD1;
            layout = "sd1 single file";
        } else if (s.has("cond_stage_model.transformer.embeddings.token_embedding.weight")) {
            towers.add(hfTower(s, "cond_stage_model.transformer.", null, heads(heads, 0), "CLIP-L text encoder").build());
            family = Family.SD1;
            layout = "sd1 single file (legacy keys)";
        } else if (hasPrefix(s, "text_model.")) {
            String projection = s.has("text_projection.weight") ? "text_projection.weight" : null;
            boolean vision = hasPrefix(s, "vision_model.");
            towers.add(hfTower(s, "text_model.", projection, heads(heads, 0), "text encoder").build());
            family = vision ? Family.CLIP : Family.CLIP_TEXT;
            layout = "huggingface";
        } else if (s.has("token_embedding.weight") && hasPrefix(s, "transformer.resblocks.")) {
            boolean vision = hasPrefix(s, "visual.");
            TextTower.Builder b = new TextTower.Builder();
            b.store = s;
            b.naming = Naming.OPENAI;
            b.projection = s.has("text_projection") ? "text_projection" : null;
            b.heads = heads(heads, 0);
            b.label = "text encoder";
            towers.add(b.build());
            family = vision ? Family.CLIP : Family.CLIP_TEXT;
            layout = "openai";
        } else {
            throw new SafetensorsException(file, "holds no CLIP text encoder sdclip recognises; its top key prefixes are " + topPrefixes(s)
                    + " (expected e.g. cond_stage_model.transformer.text_model., cond_stage_model.model., conditioner.embedders., text_model.)");
        }
        return new Checkpoint(file, family, layout, towers, hasPrefix(s, "vision_model.") || hasPrefix(s, "visual."), stores);
    }

    private static Checkpoint openFolder(Path dir, int[] heads, List<TensorStore> stores) throws IOException {
        if (Files.isDirectory(dir.resolve("text_encoder")) || Files.isDirectory(dir.resolve("text_encoder_2")) || Files.isRegularFile(dir.resolve("model_index.json"))) {
            return openDiffusers(dir, heads, stores);
        }
        Path weights = modelFile(dir);
        if (weights == null) throw new IOException(dir + ": no model.safetensors, *.safetensors.index.json, or diffusers text_encoder/ folder here");
        Map<String, Object> config = readConfig(dir.resolve("config.json"));
        TensorStore s = store(weights, stores);
        if (!hasPrefix(s, "text_model.")) {
            throw new SafetensorsException(weights, "holds no text_model.* tensors; its top key prefixes are " + topPrefixes(s));
        }
        Map<String, Object> text = textConfig(config);
        TextTower.Builder b = hfTower(s, "text_model.", s.has("text_projection.weight") ? "text_projection.weight" : null,
                heads(heads, 0) != null ? heads(heads, 0) : intOr(text, "num_attention_heads"), "text encoder");
        applyConfig(b, text);
        b.padId = padIdOf(dir.resolve("tokenizer"), b.activation); // none there: by the tower's origin
        boolean vision = hasPrefix(s, "vision_model.");
        return new Checkpoint(dir, vision ? Family.CLIP : Family.CLIP_TEXT, "huggingface folder", List.of(b.build()), vision, stores);
    }

    private static Checkpoint openDiffusers(Path dir, int[] heads, List<TensorStore> stores) throws IOException {
        String pipeline = "";
        if (Files.isRegularFile(dir.resolve("model_index.json"))) {
            Object cls = readConfig(dir.resolve("model_index.json")).get("_class_name");
            pipeline = cls instanceof String str ? str : "";
        }
        List<TextTower> towers = new ArrayList<>();
        String[] folders = {"text_encoder", "text_encoder_2"};
        boolean xl = pipeline.contains("XL");
        for (String folder : folders) {
            Path enc = dir.resolve(folder);
            if (!Files.isDirectory(enc)) continue;
            Path weights = modelFile(enc);
            if (weights == null) throw new IOException(enc + ": no model.safetensors or model.fp16.safetensors here");
            Map<String, Object> config = readConfig(enc.resolve("config.json"));
            TensorStore s = store(weights, stores);
            int index = towers.size();
            TextTower.Builder b = hfTower(s, "text_model.", s.has("text_projection.weight") ? "text_projection.weight" : null,
                    heads(heads, index) != null ? heads(heads, index) : intOr(config, "num_attention_heads"), folder);
            applyConfig(b, config);
            Path tok = dir.resolve(folder.equals("text_encoder") ? "tokenizer" : "tokenizer_2");
            b.tokenizerFolder = Files.isDirectory(tok) ? tok : null;
            b.padId = padIdOf(tok, b.activation);
            if (xl) b.conditioning = TextTower.Conditioning.RAW_PENULTIMATE;
            towers.add(b.build());
        }
        if (towers.isEmpty()) throw new IOException(dir + ": a diffusers folder without text_encoder/ or text_encoder_2/");
        Family family;
        if (towers.size() == 2) family = Family.SDXL;
        else if (xl || !Files.isDirectory(dir.resolve("text_encoder"))) family = Family.SDXL_REFINER;
        else family = towers.getFirst().config().activation() == HiddenAct.GELU ? Family.SD2 : Family.SD1;
        return new Checkpoint(dir, family, "diffusers", towers, false, stores);
    }

    /** The pad id from a tokenizer folder's special_tokens_map.json ("!" is 0), else by the tower's origin. */
    private static int padIdOf(Path tokenizer, HiddenAct act) throws IOException {
        Path map = tokenizer.resolve("special_tokens_map.json");
        if (Files.isRegularFile(map)) {
            Object pad = readConfig(map).get("pad_token");
            if (pad instanceof Map<?, ?> m) pad = m.get("content");
            if ("!".equals(pad)) return 0;
            if ("<|endoftext|>".equals(pad)) return 49407;
        }
        return act == HiddenAct.GELU ? 0 : 49407;
    }

    private static Path modelFile(Path dir) {
        for (String name : new String[] {"model.safetensors", "model.fp16.safetensors", "model.safetensors.index.json", "model.fp16.safetensors.index.json"}) {
            if (Files.isRegularFile(dir.resolve(name))) return dir.resolve(name);
        }
        return null;
    }

    private static Map<String, Object> readConfig(Path file) throws IOException {
        if (!Files.isRegularFile(file)) return Map.of();
        try {
            return Json.parseObject(Files.readString(file));
        } catch (JsonException e) {
            throw new IOException(file + ": " + e.getMessage());
        }
    }

    /** A CLIPModel config nests the text part under text_config. */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> textConfig(Map<String, Object> config) {
        return config.get("text_config") instanceof Map<?, ?> m ? (Map<String, Object>) m : config;
    }

    private static void applyConfig(TextTower.Builder b, Map<String, Object> config) {
        if (config.get("hidden_act") instanceof String act) b.activation = HiddenAct.parse(act);
        if (config.get("layer_norm_eps") instanceof Number eps) b.layerNormEps = eps.floatValue();
    }

    private static Integer intOr(Map<String, Object> config, String key) {
        return config.get(key) instanceof Long v && v > 0 && v < 100_000 ? v.intValue() : null;
    }

    private static TextTower.Builder hfTower(TensorStore s, String prefix, String projection, Integer heads, String label) {
        TextTower.Builder b = new TextTower.Builder();
        b.store = s;
        b.prefix = prefix;
        b.naming = Naming.HUGGING_FACE;
        b.projection = projection;
        b.heads = heads;
        b.label = label;
        return b;
    }

    private static TextTower.Builder openClipTower(TensorStore s, String prefix, Integer heads, String label) {
        TextTower.Builder b = new TextTower.Builder();
        b.store = s;
        b.prefix = prefix;
        b.naming = Naming.OPENAI;
        b.projection = s.has(prefix + "text_projection") ? prefix + "text_projection" : null;
        b.heads = heads;
        b.activation = HiddenAct.GELU;
        b.padId = 0;
        b.label = label;
        return b;
    }

    private static boolean hasPrefix(TensorStore s, String prefix) {
        for (String n : s.names()) if (n.startsWith(prefix)) return true;
        return false;
    }

    /** The first two dotted components of every key, with counts: what a file holds, at a glance. */
    static String topPrefixes(TensorStore s) {
        Map<String, Integer> counts = new TreeMap<>();
        for (String n : s.names()) {
            String[] parts = n.split("\\.", 3);
            String p = parts.length > 2 ? parts[0] + "." + parts[1] + "." : n;
            counts.merge(p, 1, Integer::sum);
        }
        if (counts.isEmpty()) return "(no tensors)";
        StringBuilder sb = new StringBuilder();
        int shown = 0;
        for (var e : counts.entrySet()) {
            if (shown++ == 8) { sb.append(", ..."); break; }
            sb.append(shown > 1 ? ", " : "").append(e.getKey()).append(" (").append(e.getValue()).append(')');
        }
        return sb.toString();
    }

    @Override public void close() { stores.forEach(TensorStore::close); }
}
